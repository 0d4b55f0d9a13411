// Migrations and translation catalogs are embedded in the binary: rebuild when they change.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-changed=src/i18n/locales");
}
