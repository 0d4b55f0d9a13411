//! CSRF: every POST route of the table, sent by someone allowed to use it, is refused
//! with 403 without a token, with an empty one, with another session's token, and with a
//! valid token from another origin — and the database is exactly as it was.

use super::world::{Method, ROLES, ROUTES, Role, Want, World, want};
use super::{changed, fingerprint};

#[actix_web::test]
async fn every_post_without_a_valid_token_or_from_another_origin_is_403_and_changes_nothing() {
    let mut world = World::new().await;
    // Another session's token: a visitor's, and a logged-in customer's of another organization.
    let stranger = super::browser(&world.app);
    let stranger_token = super::token(&stranger).await;
    let other_token = world.token(Role::OtherOwner).await;
    let mut wrong = Vec::new();
    let mut checks = 0;
    let mut routes = 0;
    for route in ROUTES.iter().filter(|r| r.method != Method::Get) {
        // The first role and resource the route allows: only the token may stop it.
        let (role, res) = route
            .res
            .iter()
            .flat_map(|res| ROLES.iter().map(move |role| (*role, *res)))
            .find(|(role, res)| want(route, *role, *res) == Want::Allow)
            .expect("someone may use every route");
        routes += 1;
        let own = world.token(role).await;
        let foreign = if role == Role::OtherOwner {
            stranger_token.clone()
        } else {
            other_token.clone()
        };
        let before = fingerprint(&world.app);
        // (how, the token sent, extra headers)
        type Attempt<'a> = (&'a str, Option<&'a str>, &'a [(&'a str, &'a str)]);
        let attempts: [Attempt; 6] = [
            ("no token", None, &[]),
            ("an empty token", Some(""), &[]),
            ("another session's token", Some(&foreign), &[]),
            ("a visitor's token", Some(&stranger_token), &[]),
            (
                "a foreign Origin",
                Some(&own),
                &[("Origin", "http://evil.example")],
            ),
            (
                "Sec-Fetch-Site: cross-site",
                Some(&own),
                &[("Sec-Fetch-Site", "cross-site")],
            ),
        ];
        for (how, token, headers) in attempts {
            let p = world.send_as(role, route, res, token, headers).await;
            checks += 1;
            if p.status != 403 || !p.body.contains("Request refused") {
                wrong.push(format!(
                    "{} as {role:?} with {how}: {} {:?}",
                    world.path(route, role, res),
                    p.status,
                    p.location
                ));
            }
        }
        let tables = changed(&before, &fingerprint(&world.app));
        if !tables.is_empty() {
            wrong.push(format!(
                "{} as {role:?}: refused, yet {tables:?} changed",
                world.path(route, role, res)
            ));
        }
    }
    // Nobody was logged out by a refused logout, nor logged in by a refused login.
    for role in ROLES {
        let p = world.browser(role).get("/profile").await;
        let ok = if role == Role::Anonymous {
            p.status == 303
        } else {
            p.status == 200
        };
        if !ok {
            wrong.push(format!("{role:?} on /profile afterwards: {}", p.status));
        }
    }
    println!("csrf: {checks} refused POSTs over {routes} routes");
    assert!(routes >= 29, "{routes} POST routes");
    assert!(
        wrong.is_empty(),
        "{} wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}
