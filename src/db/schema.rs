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
        calendar_id -> Int8,
        custom_for_organization_id -> Nullable<Int8>,
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
        hidden_ticket_columns -> Array<Text>,
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

diesel::table! {
    tickets (number) {
        number -> Int8,
        organization_id -> Int8,
        requester_id -> Int8,
        subject -> Text,
        category -> Text,
        priority -> Text,
        status -> Text,
        assignee_id -> Nullable<Int8>,
        plan_id -> Int8,
        close_reason -> Nullable<Text>,
        version -> Int4,
        response_started_at -> Nullable<Timestamptz>,
        response_due_at -> Nullable<Timestamptz>,
        response_breached -> Bool,
        ever_breached -> Bool,
        last_support_reply_at -> Nullable<Timestamptz>,
        last_customer_message_at -> Timestamptz,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        closed_at -> Nullable<Timestamptz>,
        priority_rank -> Int2,
        customer_version -> Int4,
        due_key -> Timestamptz,
        quota_exempt -> Bool,
        first_response_at -> Nullable<Timestamptz>,
        first_response_minutes -> Nullable<Int8>,
        opened_priority -> Text,
        resolution_minutes_used -> Int8,
        resolution_running_since -> Nullable<Timestamptz>,
        resolution_due_at -> Nullable<Timestamptz>,
        resolution_breached -> Bool,
    }
}

diesel::table! {
    response_times (id) {
        id -> Int8,
        ticket_number -> Int8,
        organization_id -> Int8,
        started_at -> Timestamptz,
        responded_at -> Timestamptz,
        business_minutes -> Int8,
        breached -> Bool,
    }
}

diesel::table! {
    calendars (id) {
        id -> Int8,
        key -> Text,
        name -> Text,
        time_zone -> Text,
        always_open -> Bool,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    calendar_hours (id) {
        id -> Int8,
        calendar_id -> Int8,
        weekday -> Int2,
        opens -> Time,
        closes -> Time,
    }
}

diesel::table! {
    calendar_holidays (calendar_id, day) {
        calendar_id -> Int8,
        day -> Date,
        name -> Text,
    }
}

diesel::table! {
    plan_priorities (plan_id, priority) {
        plan_id -> Int8,
        priority -> Text,
        available -> Bool,
        monthly_quota -> Nullable<Int4>,
        response_minutes -> Nullable<Int4>,
        resolution_minutes -> Nullable<Int4>,
    }
}

diesel::table! {
    organization_plan_changes (id) {
        id -> Int8,
        organization_id -> Int8,
        from_plan_id -> Nullable<Int8>,
        to_plan_id -> Int8,
        changed_by -> Nullable<Int8>,
        changed_at -> Timestamptz,
    }
}

diesel::table! {
    messages (id) {
        id -> Int8,
        ticket_number -> Int8,
        organization_id -> Int8,
        author_id -> Nullable<Int8>,
        kind -> Text,
        from_support -> Bool,
        body -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    attachments (id) {
        id -> Int8,
        ticket_number -> Int8,
        message_id -> Int8,
        organization_id -> Int8,
        filename -> Text,
        content_type -> Text,
        size_bytes -> Int4,
        data -> Bytea,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    ticket_events (id) {
        id -> Int8,
        ticket_number -> Int8,
        organization_id -> Int8,
        kind -> Text,
        actor_id -> Nullable<Int8>,
        detail -> Jsonb,
        created_at -> Timestamptz,
    }
}

diesel::joinable!(organizations -> plans (plan_id));
diesel::joinable!(plans -> calendars (calendar_id));
diesel::joinable!(calendar_hours -> calendars (calendar_id));
diesel::joinable!(calendar_holidays -> calendars (calendar_id));
diesel::joinable!(plan_priorities -> plans (plan_id));
diesel::joinable!(tickets -> organizations (organization_id));
diesel::joinable!(tickets -> plans (plan_id));
diesel::joinable!(messages -> tickets (ticket_number));
diesel::joinable!(attachments -> messages (message_id));
diesel::joinable!(ticket_events -> tickets (ticket_number));
diesel::joinable!(memberships -> organizations (organization_id));
diesel::joinable!(memberships -> users (user_id));

diesel::table! {
    /// One row (migration 12); `version` is not really a key.
    plan_book (version) {
        version -> Int8,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    plans,
    users,
    organizations,
    memberships,
    login_failures,
    tickets,
    messages,
    attachments,
    ticket_events,
    calendars,
    calendar_hours,
    calendar_holidays,
    plan_priorities,
    organization_plan_changes,
    response_times,
    plan_book,
);
