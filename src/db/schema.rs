// @generated automatically by Diesel CLI.

diesel::table! {
    plans (id) {
        id -> Int8,
        key -> Text,
        name -> Text,
        description -> Text,
        price -> Int8,
        currency -> Text,
        public -> Bool,
        position -> Int4,
        created_at -> Timestamptz,
    }
}
