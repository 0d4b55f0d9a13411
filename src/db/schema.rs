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

diesel::table! {
    users (id) {
        id -> Int8,
        email -> Text,
        name -> Text,
        mobile -> Nullable<Text>,
        password_hash -> Text,
        staff_role -> Nullable<Text>,
        active -> Bool,
        session_epoch -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    organizations (id) {
        id -> Int8,
        key -> Text,
        name -> Text,
        plan_id -> Int8,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    memberships (organization_id, user_id) {
        organization_id -> Int8,
        user_id -> Int8,
        role -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    login_failures (id) {
        id -> Int8,
        email -> Text,
        attempted_at -> Timestamptz,
    }
}

diesel::joinable!(organizations -> plans (plan_id));
diesel::joinable!(memberships -> organizations (organization_id));
diesel::joinable!(memberships -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    plans,
    users,
    organizations,
    memberships,
    login_failures
);
