//! Who may see or do what (DESIGN.md section 1). Out of reach answers 404,
//! never 403, so nothing leaks; anonymous requests go to the login page.

use super::account::{MemberRole, StaffRole};

/// Who is asking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewer {
    Anonymous,
    /// A customer, with their role in the current organization.
    Customer(MemberRole),
    Staff(StaffRole),
}

/// The areas of the application, by URL prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    /// Login, signup, health: anyone.
    Public,
    /// `/tickets`, `/plan`, `/organization`, `/organizations/new`, `/attachments`.
    Customer,
    /// Pages for any logged-in person (`/profile`, `/logout`).
    Account,
    /// `/console`.
    Console,
    /// `/admin`.
    Admin,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Allow,
    /// 303 to `/login`.
    Login,
    /// 404.
    NotFound,
}

pub fn area(viewer: Viewer, area: Area) -> Answer {
    use Answer::*;
    match (area, viewer) {
        (Area::Public, _) => Allow,
        (_, Viewer::Anonymous) => Login,
        (Area::Account, _) => Allow,
        (Area::Customer, Viewer::Customer(_)) => Allow,
        (Area::Console, Viewer::Staff(_)) => Allow,
        (Area::Admin, Viewer::Staff(StaffRole::Admin)) => Allow,
        _ => NotFound,
    }
}

/// The home page of a logged-in person.
pub fn home(viewer: Viewer) -> &'static str {
    match viewer {
        Viewer::Anonymous => "/login",
        Viewer::Customer(_) => "/tickets",
        Viewer::Staff(_) => "/console",
    }
}

/// May a customer with `role` in the ticket's organization see a ticket submitted by `requester`?
/// Members see their own tickets; owners and admins see all of the organization's.
pub fn customer_sees_ticket(role: MemberRole, viewer_id: i64, requester_id: i64) -> bool {
    role.manages() || viewer_id == requester_id
}

#[cfg(test)]
mod tests {
    use super::Answer::*;
    use super::*;

    #[test]
    fn areas_by_viewer() {
        let member = Viewer::Customer(MemberRole::Member);
        let owner = Viewer::Customer(MemberRole::Owner);
        let agent = Viewer::Staff(StaffRole::Agent);
        let admin = Viewer::Staff(StaffRole::Admin);
        // (area, anonymous, member, owner, agent, admin)
        let table = [
            (Area::Public, Allow, Allow, Allow, Allow, Allow),
            (Area::Account, Login, Allow, Allow, Allow, Allow),
            (Area::Customer, Login, Allow, Allow, NotFound, NotFound),
            (Area::Console, Login, NotFound, NotFound, Allow, Allow),
            (Area::Admin, Login, NotFound, NotFound, NotFound, Allow),
        ];
        for (a, anon, m, o, ag, ad) in table {
            assert_eq!(area(Viewer::Anonymous, a), anon, "{a:?} anonymous");
            assert_eq!(area(member, a), m, "{a:?} member");
            assert_eq!(area(owner, a), o, "{a:?} owner");
            assert_eq!(area(agent, a), ag, "{a:?} agent");
            assert_eq!(area(admin, a), ad, "{a:?} admin");
        }
    }

    #[test]
    fn homes() {
        assert_eq!(home(Viewer::Anonymous), "/login");
        assert_eq!(home(Viewer::Customer(MemberRole::Member)), "/tickets");
        assert_eq!(home(Viewer::Staff(StaffRole::Agent)), "/console");
    }

    #[test]
    fn members_see_their_own_tickets_managers_see_all() {
        assert!(customer_sees_ticket(MemberRole::Member, 1, 1));
        assert!(!customer_sees_ticket(MemberRole::Member, 1, 2));
        assert!(customer_sees_ticket(MemberRole::Admin, 1, 2));
        assert!(customer_sees_ticket(MemberRole::Owner, 1, 2));
    }
}
