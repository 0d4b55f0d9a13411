//! People and organizations: values that parse and validate, and the rules of membership.
//! Errors are catalog keys (`Invalid::key`), translated by the web layer.

use std::fmt;

/// Why a value was refused; `key()` names the message in the translation catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Invalid {
    EmailInvalid,
    NameEmpty,
    NameTooLong,
    PasswordTooShort,
    PasswordTooLong,
    OrgNameEmpty,
    OrgNameTooLong,
    OrgKeyInvalid,
    MobileInvalid,
    RoleUnknown,
}

impl Invalid {
    pub fn key(self) -> &'static str {
        match self {
            Invalid::EmailInvalid => "invalid-email",
            Invalid::NameEmpty => "invalid-name-empty",
            Invalid::NameTooLong => "invalid-name-long",
            Invalid::PasswordTooShort => "invalid-password-short",
            Invalid::PasswordTooLong => "invalid-password-long",
            Invalid::OrgNameEmpty => "invalid-org-name-empty",
            Invalid::OrgNameTooLong => "invalid-org-name-long",
            Invalid::OrgKeyInvalid => "invalid-org-key",
            Invalid::MobileInvalid => "invalid-mobile",
            Invalid::RoleUnknown => "invalid-role",
        }
    }
}

pub const PASSWORD_MIN: usize = 10;
pub const PASSWORD_MAX: usize = 256;
const NAME_MAX: usize = 100;

/// An email address, trimmed and lowercased: the login and the unique identity of a person.
///
/// ```
/// use supportdesk::domain::account::Email;
/// assert_eq!(Email::parse(" Ana@Example.COM ").unwrap().as_str(), "ana@example.com");
/// assert!(Email::parse("not an email").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let email = input.trim().to_lowercase();
        let valid = email.len() <= 254
            && !email
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || "<>\"'(),;:\\[]".contains(c))
            && match email.split_once('@') {
                Some((local, domain)) => {
                    !local.is_empty()
                        && local.len() <= 64
                        && !domain.contains('@')
                        && domain.contains('.')
                        && !domain.starts_with('.')
                        && !domain.ends_with('.')
                        && !domain.contains("..")
                }
                None => false,
            };
        if valid {
            Ok(Email(email))
        } else {
            Err(Invalid::EmailInvalid)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A person's display name: 1–100 characters after trimming.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonName(String);

/// Control characters (NUL, line breaks…) folded into spaces: they come only from tampered forms.
fn fold_controls(input: &str) -> String {
    input
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

impl PersonName {
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let folded = fold_controls(input);
        let name = folded.trim();
        if name.is_empty() {
            Err(Invalid::NameEmpty)
        } else if name.chars().count() > NAME_MAX {
            Err(Invalid::NameTooLong)
        } else {
            Ok(PersonName(name.to_string()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A new password: 10–256 characters, taken as typed (no trimming).
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

impl NewPassword {
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let n = input.chars().count();
        if n < PASSWORD_MIN {
            Err(Invalid::PasswordTooShort)
        } else if n > PASSWORD_MAX {
            Err(Invalid::PasswordTooLong)
        } else {
            Ok(NewPassword(input.to_string()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword(…)")
    }
}

/// An organization's display name: 1–100 characters after trimming.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgName(String);

impl OrgName {
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let folded = fold_controls(input);
        let name = folded.trim();
        if name.is_empty() {
            Err(Invalid::OrgNameEmpty)
        } else if name.chars().count() > NAME_MAX {
            Err(Invalid::OrgNameTooLong)
        } else {
            Ok(OrgName(name.to_string()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An organization's key (slug): 2–50 of lowercase letters, digits, `_` and `-`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgKey(String);

impl OrgKey {
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let key = input.trim();
        let valid = (2..=50).contains(&key.len())
            && key
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
        if valid {
            Ok(OrgKey(key.to_string()))
        } else {
            Err(Invalid::OrgKeyInvalid)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An optional mobile number: digits with an optional leading `+`, spaces and dashes allowed; 7–15 digits.
pub fn parse_mobile(input: &str) -> Result<Option<String>, Invalid> {
    let mobile = input.trim();
    if mobile.is_empty() {
        return Ok(None);
    }
    let body = mobile.strip_prefix('+').unwrap_or(mobile);
    let digits = body.chars().filter(char::is_ascii_digit).count();
    let valid = body
        .chars()
        .all(|c| c.is_ascii_digit() || c == ' ' || c == '-')
        && (7..=15).contains(&digits);
    if valid {
        Ok(Some(mobile.to_string()))
    } else {
        Err(Invalid::MobileInvalid)
    }
}

/// A customer's role in one organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum MemberRole {
    Owner,
    Admin,
    Member,
}

impl MemberRole {
    pub const ALL: [MemberRole; 3] = [MemberRole::Owner, MemberRole::Admin, MemberRole::Member];

    pub fn as_str(self) -> &'static str {
        match self {
            MemberRole::Owner => "owner",
            MemberRole::Admin => "admin",
            MemberRole::Member => "member",
        }
    }

    pub fn parse(s: &str) -> Result<Self, Invalid> {
        MemberRole::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or(Invalid::RoleUnknown)
    }

    /// Owners and admins manage the organization: members, plan, all of its tickets.
    pub fn manages(self) -> bool {
        matches!(self, MemberRole::Owner | MemberRole::Admin)
    }
}

/// A staff member's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaffRole {
    Agent,
    Admin,
}

impl StaffRole {
    pub fn as_str(self) -> &'static str {
        match self {
            StaffRole::Agent => "agent",
            StaffRole::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Result<Self, Invalid> {
        match s {
            "agent" => Ok(StaffRole::Agent),
            "admin" => Ok(StaffRole::Admin),
            _ => Err(Invalid::RoleUnknown),
        }
    }
}

/// Why a change to the members of an organization was refused (catalog key via `key()`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MembershipRefusal {
    /// Members cannot manage the organization.
    NotAManager,
    /// Only owners make owners, and only owners change or remove an owner.
    OwnersOnly,
    /// The organization must keep at least one owner.
    LastOwner,
    /// The role is already what was asked.
    SameRole,
}

impl MembershipRefusal {
    pub fn key(self) -> &'static str {
        match self {
            MembershipRefusal::NotAManager => "refused-not-manager",
            MembershipRefusal::OwnersOnly => "refused-owners-only",
            MembershipRefusal::LastOwner => "refused-last-owner",
            MembershipRefusal::SameRole => "refused-same-role",
        }
    }
}

/// May `actor` give `new_role` to a new member?
pub fn may_add_member(actor: MemberRole, new_role: MemberRole) -> Result<(), MembershipRefusal> {
    if !actor.manages() {
        return Err(MembershipRefusal::NotAManager);
    }
    if new_role == MemberRole::Owner && actor != MemberRole::Owner {
        return Err(MembershipRefusal::OwnersOnly);
    }
    Ok(())
}

/// May `actor` change a member from `current` to `new_role`, given how many owners the organization has?
pub fn may_change_role(
    actor: MemberRole,
    current: MemberRole,
    new_role: MemberRole,
    owners: usize,
) -> Result<(), MembershipRefusal> {
    if !actor.manages() {
        return Err(MembershipRefusal::NotAManager);
    }
    if current == new_role {
        return Err(MembershipRefusal::SameRole);
    }
    if (current == MemberRole::Owner || new_role == MemberRole::Owner) && actor != MemberRole::Owner
    {
        return Err(MembershipRefusal::OwnersOnly);
    }
    if current == MemberRole::Owner && owners <= 1 {
        return Err(MembershipRefusal::LastOwner);
    }
    Ok(())
}

/// May `actor` remove a member whose role is `current`?
pub fn may_remove_member(
    actor: MemberRole,
    current: MemberRole,
    owners: usize,
) -> Result<(), MembershipRefusal> {
    if !actor.manages() {
        return Err(MembershipRefusal::NotAManager);
    }
    if current == MemberRole::Owner && actor != MemberRole::Owner {
        return Err(MembershipRefusal::OwnersOnly);
    }
    if current == MemberRole::Owner && owners <= 1 {
        return Err(MembershipRefusal::LastOwner);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::MemberRole::{Admin, Member, Owner};
    use super::*;

    #[test]
    fn emails_are_trimmed_lowercased_and_checked() {
        assert_eq!(
            Email::parse("  Ana@Example.COM ").unwrap().as_str(),
            "ana@example.com"
        );
        for bad in [
            "",
            "ana",
            "ana@",
            "@example.com",
            "ana@example",
            "a na@example.com",
            "ana@@example.com",
            "ana@.com",
            "<a>@x.com",
        ] {
            assert_eq!(Email::parse(bad), Err(Invalid::EmailInvalid), "{bad:?}");
        }
    }

    #[test]
    fn passwords_are_10_to_256_characters_as_typed() {
        assert_eq!(
            NewPassword::parse("123456789").unwrap_err(),
            Invalid::PasswordTooShort
        );
        assert!(NewPassword::parse("1234567890").is_ok());
        assert!(NewPassword::parse(&"x".repeat(256)).is_ok());
        assert_eq!(
            NewPassword::parse(&"x".repeat(257)).unwrap_err(),
            Invalid::PasswordTooLong
        );
        // Characters, not bytes: ten Persian letters are ten.
        assert!(NewPassword::parse("سلامسلامسل").is_ok());
        assert!(
            !format!("{:?}", NewPassword::parse("secret-password").unwrap()).contains("secret")
        );
    }

    #[test]
    fn names_and_keys() {
        assert_eq!(PersonName::parse("  ").unwrap_err(), Invalid::NameEmpty);
        assert_eq!(
            PersonName::parse(&"n".repeat(101)).unwrap_err(),
            Invalid::NameTooLong
        );
        assert_eq!(PersonName::parse(" Ana ").unwrap().as_str(), "Ana");
        assert_eq!(PersonName::parse("\0").unwrap_err(), Invalid::NameEmpty);
        assert_eq!(OrgName::parse("A\0B").unwrap().as_str(), "A B");
        assert_eq!(OrgName::parse("").unwrap_err(), Invalid::OrgNameEmpty);
        assert!(OrgKey::parse("acme-co_2").is_ok());
        for bad in ["a", "Acme", "acme co", "acme.co", "ácme", &"a".repeat(51)] {
            assert_eq!(OrgKey::parse(bad), Err(Invalid::OrgKeyInvalid), "{bad:?}");
        }
    }

    #[test]
    fn mobiles_are_optional_and_checked() {
        assert_eq!(parse_mobile(" ").unwrap(), None);
        assert_eq!(
            parse_mobile("+98 912 345 6789").unwrap().as_deref(),
            Some("+98 912 345 6789")
        );
        for bad in ["12345", "phone", "+98 912 345 6789 1234", "0912<script>"] {
            assert_eq!(parse_mobile(bad), Err(Invalid::MobileInvalid), "{bad:?}");
        }
    }

    #[test]
    fn roles_parse() {
        for r in MemberRole::ALL {
            assert_eq!(MemberRole::parse(r.as_str()), Ok(r));
        }
        assert_eq!(MemberRole::parse("god"), Err(Invalid::RoleUnknown));
        assert_eq!(StaffRole::parse("admin"), Ok(StaffRole::Admin));
        assert_eq!(StaffRole::parse("owner"), Err(Invalid::RoleUnknown));
    }

    /// (actor, target's role, new role, owners in the organization, expected)
    #[test]
    fn role_changes_follow_the_table() {
        use MembershipRefusal::*;
        type Row = (
            MemberRole,
            MemberRole,
            MemberRole,
            usize,
            Result<(), MembershipRefusal>,
        );
        let table: &[Row] = &[
            (Owner, Member, Admin, 1, Ok(())),
            (Owner, Member, Owner, 1, Ok(())),
            (Owner, Admin, Member, 1, Ok(())),
            (Owner, Owner, Admin, 2, Ok(())),
            (Owner, Owner, Member, 1, Err(LastOwner)),
            (Owner, Member, Member, 1, Err(SameRole)),
            (Admin, Member, Admin, 1, Ok(())),
            (Admin, Admin, Member, 1, Ok(())),
            (Admin, Member, Owner, 1, Err(OwnersOnly)),
            (Admin, Owner, Member, 2, Err(OwnersOnly)),
            (Member, Member, Admin, 1, Err(NotAManager)),
            (Member, Admin, Member, 1, Err(NotAManager)),
        ];
        for &(actor, current, new_role, owners, expected) in table {
            assert_eq!(
                may_change_role(actor, current, new_role, owners),
                expected,
                "{actor:?} {current:?}→{new_role:?} owners={owners}"
            );
        }
    }

    #[test]
    fn adding_and_removing_follow_the_rules() {
        use MembershipRefusal::*;
        assert_eq!(may_add_member(Owner, Owner), Ok(()));
        assert_eq!(may_add_member(Admin, Member), Ok(()));
        assert_eq!(may_add_member(Admin, Owner), Err(OwnersOnly));
        assert_eq!(may_add_member(Member, Member), Err(NotAManager));
        assert_eq!(may_remove_member(Owner, Owner, 2), Ok(()));
        assert_eq!(may_remove_member(Owner, Owner, 1), Err(LastOwner));
        assert_eq!(may_remove_member(Admin, Owner, 2), Err(OwnersOnly));
        assert_eq!(may_remove_member(Admin, Member, 1), Ok(()));
        assert_eq!(may_remove_member(Member, Member, 1), Err(NotAManager));
    }
}
