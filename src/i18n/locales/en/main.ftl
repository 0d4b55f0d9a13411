product-name = supportdesk
product-tagline = Support for your cloud, answered on time.
skip-to-content = Skip to content
footer-text = supportdesk · help desk for { $provider }
provider-name = the cloud

error-title-404 = Page not found
error-text-404 = The page you asked for does not exist, or you do not have access to it.
error-title-400 = Something in the request was not right
error-title-403 = Request refused
error-text-403 = The request could not be verified. Reload the page and try again.
error-title-409 = That cannot be done now
error-title-413 = Too large
error-text-413 = What you sent is larger than we accept.
error-title-422 = That cannot be done
error-title-500 = Something went wrong on our side
error-text-500 = The problem was logged. Please try again in a moment.
error-title-503 = Temporarily unavailable
error-text-503 = The service cannot reach its database right now. Please try again in a few seconds.
error-back-home = Back to the start page

## Navigation
nav-label = Main
nav-tickets = Tickets
nav-organization = Organization
nav-console = Console
nav-queue = Queue
nav-admin = Administration
nav-staff = Staff
nav-logout = Log out
nav-switch = Switch
nav-switch-organization = Current organization
actions = Actions
cancel = Cancel
you = you

## Roles
owner = Owner
admin = Admin
member = Member
agent = Agent

## Fields
field-email = Email
field-password = Password
field-name = Your name
col-name = Name
field-member-name = Name
field-mobile = Mobile number (optional)
field-organization = Organization name
field-organization-key = Organization key
field-role = Role
field-current-password = Current password
field-new-password = New password
field-staff-password = Initial password
field-initial-password = Initial password (new accounts only)
hint-organization-key = 2–50 lowercase letters, digits, “-” or “_”, e.g. acme-cloud. It cannot be changed later.
hint-password = At least 10 characters.
hint-initial-password = At least 10 characters. Not needed when the email already has an account.
hint-mobile = For example +98 912 345 6789.

## Validation
invalid-email = Enter an email address like name@example.com.
invalid-name-empty = Enter a name.
invalid-name-long = Use at most 100 characters.
invalid-password-short = Use at least 10 characters.
invalid-password-long = Use at most 256 characters.
invalid-org-name-empty = Enter the organization's name.
invalid-org-name-long = Use at most 100 characters.
invalid-org-key = Use 2–50 lowercase letters, digits, “-” or “_”.
invalid-mobile = Enter a phone number of 7 to 15 digits, optionally starting with +.
invalid-role = Choose one of the offered roles.
taken-email = An account with this email already exists. Log in instead, or use another email.
taken-org-key = This key is already taken. Choose another.

## Login and signup
login-title = Log in
login-submit = Log in
login-invalid = Invalid email or password
login-deactivated = This account has been deactivated. Contact your administrator.
login-throttled = Too many failed attempts for this email. Try again in { $minutes ->
    [one] 1 minute
   *[other] { $minutes } minutes
}.
login-no-account = New here?
login-link = Log in
signup-link = Create an account
signup-title = Create your account
signup-intro = You and your organization start on the free Basic plan.
signup-organization = Your organization
signup-you = You
signup-submit = Create account
signup-have-account = Already have an account?

## Profile
profile-title = Your profile
profile-details = Details
profile-password = Password
profile-save = Save details
profile-saved = Your details were saved.
profile-change-password = Change password
password-changed = Your password was changed. Other sessions have been signed out.
password-current-wrong = The current password is not correct.

## Organization
org-key-label = Key
org-plan-label = Plan
org-your-role = Your role
org-members = Members
org-change-role = Change
org-remove = Remove
org-remove-title = Remove a member
org-remove-confirm = Remove this member from the organization? They keep their account but lose access to its tickets:
org-add-member = Add a member
org-add-member-help = An email that already has an account is added as it is; a new email gets an account with the initial password you set.
org-add-member-submit = Add member
org-create-another = New organization
org-new-title = Create an organization
org-new-intro = You become its owner. It starts on the free Basic plan.
org-new-submit = Create organization
member-added = The member was added.
member-role-changed = The role was changed.
member-removed = The member was removed.
member-already = This person is already a member.
member-is-staff = This email belongs to a support staff account and cannot join an organization.
member-try-again = Someone created an account with this email at the same moment. Try again.
refused-not-manager = Only owners and admins manage the organization's members.
refused-owners-only = Only owners can make owners, or change or remove an owner.
refused-last-owner = The organization must keep at least one owner. Make someone else an owner first.
refused-same-role = The member already has that role.

## Tickets
tickets-title = Tickets
tickets-empty = No tickets yet.

## Console
console-title = Queue
console-empty = The queue is empty.

## Staff
staff-title = Staff
staff-status = Status
staff-active = Active
staff-inactive = Deactivated
staff-add = Add a staff member
staff-add-submit = Add staff member
staff-added = The staff member was added.
staff-deactivate = Deactivate
staff-activate = Reactivate
staff-deactivate-title = Deactivate a staff member
staff-deactivate-confirm = They can no longer log in, and any open session ends at once:
staff-deactivated = The staff member was deactivated.
staff-activated = The staff member was reactivated.
refused-deactivate-self = You cannot deactivate your own account.
demo-already-seeded = The demo data is already there. One of its logins or organization keys exists.

## Ticket rules
refusal-not-allowed = You cannot do that on this ticket.
refusal-closed-accept = This ticket is closed; it cannot be accepted.
refusal-closed-reply = This ticket is closed; support cannot reply to it. The customer can reopen it by replying.
refusal-closed-note = This ticket is closed; notes cannot be added to it.
refusal-closed = This ticket is closed; reopen it first.
refusal-already-closed = This ticket is already closed.
refusal-already-accepted = This ticket has already been accepted.
refusal-cannot-accept = Only tickets awaiting a response can be accepted.
refusal-cannot-auto-close = Only tickets awaiting the customer are closed automatically.
refusal-same-priority = The ticket already has that priority.
refusal-same-category = The ticket already has that category.
refusal-same-assignee = The ticket is already assigned that way.
nav-new-ticket = New ticket

## Ticket list
ticket-new = New ticket
ticket-created = Your ticket was created.
ticket-open = Open it
ticket-close = Close
tickets-recent = Recent tickets
tickets-none-match = No tickets match these filters.
search-label = Search tickets
search-placeholder = Search by number or subject
filter-any-status = Any status
filter-any-priority = Any priority
filter-any-category = Any category
filter-apply = Apply
filter-clear = Clear filters
sort-label = Sort
sort-updated = Last updated
sort-created = Newest first
col-number = Number
col-subject = Subject
col-priority = Priority
col-category = Category
col-updated = Last updated
col-status = Status
col-requester = Requester
col-assignee = Assignee
col-plan = Plan
col-created = Created
pager-label = Pages
pager-showing = Showing { $first }–{ $last }
pager-prev = Previous
pager-next = Next
pager-rows = Rows per page
columns-title = Columns
columns-save = Save columns

## New ticket
field-subject = Subject
field-message = Message
field-attachments = Attachments
choose-category = Choose a category
body-placeholder = Describe your request in full detail.
hint-attachments = Up to 5 files: PNG, JPG, JPEG, PDF or TXT, each under 10 MB.
ticket-submit = Submit ticket
invalid-subject-empty = Enter a subject.
invalid-subject-long = Use at most 200 characters.
invalid-body-empty = Write a message.
invalid-body-long = Use at most 20,000 characters.
invalid-body-control = The message contains control characters that cannot be stored. Remove them and try again.
invalid-category = Choose one of the categories.
invalid-priority = Choose one of the priorities.
invalid-files-too-many = Attach at most 5 files.
invalid-file-too-large = Each file must be smaller than 10 MB.
invalid-file-type = Only PNG, JPG, PDF and TXT files can be attached (checked by their content).
attach-again = Please attach your files again.

## Ticket page
thread-label = Conversation
note-label = Internal note — not visible to the customer
support-label = Support
system-author = supportdesk
someone = someone
nobody = nobody
details-title = Details
files-title = Ticket files
files-empty = No files shared yet.
timeline-title = Timeline
reply-placeholder = Write a message…
reply-send = Send
reply-send-reopen = Send and reopen
reply-closed-hint = This ticket is closed — send a message to reopen it.
close-title = Close this ticket?
close-confirm = You are about to close
close-reopen-hint = You can reopen it at any time by sending a new message.
sla-none = No SLA target
sla-running = Response due
sla-at_risk = Response due soon
sla-breached = Response overdue
sla-paused = Paused: awaiting the customer
sla-met = SLA met
close-reason-customer = by the customer
close-reason-resolved = as resolved
close-reason-auto = automatically
event-created = Opened with priority { $priority } in { $category }
event-accepted = Accepted by support
event-replied = Replied
event-note-added = Internal note added
event-status-changed = Status changed from { $from } to { $to }
event-priority-changed = Priority changed from { $from } to { $to }
event-category-changed = Category changed from { $from } to { $to }
event-assigned = Assigned to { $to }
event-sla-breached = Response target missed
event-closed = Closed { $reason }
event-reopened = Reopened
event-auto-closed = Closed { $reason }
time-just-now = just now
time-minutes-ago = { $n } min ago
time-hours-ago = { $n } h ago
time-days-ago = { $n } d ago

## Console
views-label = Queue views
view-unassigned = Unassigned
view-mine = Mine
view-open = Open
view-breached = Breached
view-closed = Closed
col-organization = Organization
col-sla = SLA
console-search-placeholder = Number, subject or requester email
filter-organization-key = Organization key
pager-first = First page
action-accept = Accept
action-resolve = Resolve
action-assign = Assign
action-change = Change
console-manage = Manage
console-other-open = Other open tickets of this organization
console-no-other-open = No other open tickets.
console-reply-placeholder = Reply to the customer, or write an internal note…
console-shortcuts = Press r to write, Ctrl+Enter to send.
console-closed-hint = This ticket is closed. The customer can reopen it by writing.
field-internal = Internal note (never shown to the customer)
accept-taken = { $name } already accepted this ticket.
reply-stale = The customer wrote while you were typing. Read the new message below; your reply was not sent — send it again if it still fits.
invalid-agent = Choose an active support agent.
auto-close-customer = Support is waiting for your answer. Without a message from you, this ticket closes automatically on
auto-close-console = Closes automatically, unless the customer writes, on

## Plans
plan-priority-not-offered = { $priority } priority is not available on your { $plan } plan. Choose another priority, or a plan that offers it.
plan-quota-used = Your { $plan } plan allows { $quota } { $priority } tickets a month; { $used } of { $quota } used this month.
plan-already-current = The organization is already on that plan.
invalid-plan = Choose one of the offered plans.
invalid-plan-key = Use 1–50 lowercase letters, digits, “-” or “_”.
invalid-plan-name = Enter a name of at most 100 characters.
invalid-plan-description = Use at most 500 characters.
invalid-plan-price = Enter a price of 0 or more, in whole units.
invalid-plan-currency = Use a three-letter currency code, e.g. IRR.
invalid-plan-quota = Enter a whole number of 0 or more, or leave it empty for unlimited.
invalid-plan-minutes = Enter whole minutes of 1 or more, or leave it empty for no target.
invalid-calendar = Choose one of the calendars.
invalid-organization = No organization has that key.
taken-plan-key = Another plan has this key.
target-none = no target
target-hours = { $n ->
    [one] 1 hour
   *[other] { $n } hours
}
target-hours-business = { $n ->
    [one] 1 business hour
   *[other] { $n } business hours
}
target-minutes = { $n } minutes
target-minutes-business = { $n } business minutes
option-not-offered = not on your { $plan } plan
option-quota-used = { $used } of { $quota } used this month
option-remaining = { $left } of { $quota } left this month · answer within { $target }
option-unlimited = answer within { $target }
quota-not-available = not available
quota-unlimited = unlimited
quota-per-month = { $n } / month
price-free = Free
price-per-month = { $price } { $currency } / month
your-plan = your plan:
plan-compare = compare plans
nav-plan = Plan
plan-title = Support plans
plan-current = Current plan:
plan-current-badge = Current plan
plan-usage-title = This month's tickets
plan-choose = Choose this plan
plan-changed = The plan was changed. It applies to tickets created from now on.
plan-custom-title = Custom plan
plan-custom-text = Larger needs? Tell our sales team what you need and we will prepare a plan for your organization.
plan-custom-message = What do you need?
plan-custom-send = Send to sales
plan-members-read-only = Only the organization's owners and admins can change its plan.
custom-plan-subject = Custom plan request from { $org }
nav-plans = Plans
nav-organizations = Organizations
nav-calendars = Business hours

## Admin: plans, organizations, calendars
admin-plans-title = Plans
admin-plan-new = New plan
admin-plan-edit = Edit plan
admin-plan-kind = Kind
admin-plan-custom = Custom
admin-plan-public = Public
admin-plan-custom-for = Custom plan for the organization
admin-plan-terms = Availability, quotas and targets per priority
admin-plan-save = Save plan
admin-plan-clone = Clone into a custom plan for one organization
admin-plan-clone-submit = Clone
field-plan-key = Key
field-plan-name = Name
field-description = Description
field-price = Price per month
field-currency = Currency
field-calendar = Coverage calendar
field-custom-for = Custom for organization (key)
hint-custom-for = Leave empty for a public plan offered to everyone.
field-available = Available
field-quota = Tickets per month
field-response = Response target (minutes)
field-resolution = Resolution target (minutes)
hint-plan-terms = Empty quota: unlimited. Empty target: none. Minutes count within the coverage calendar.
admin-orgs-title = Organizations
admin-orgs-search = Key or name
admin-orgs-none = No organizations match.
admin-org-assign = Plan
admin-org-assign-submit = Assign plan
admin-org-plan-assigned = The plan was assigned. It applies to tickets created from now on.
admin-org-history = Plan history
admin-org-history-empty = The organization has been on its plan since it was created.
admin-calendars-title = Business hours
admin-calendar-saved = Saved.
admin-calendar-always = Open around the clock: opening hours and holidays do not apply.
admin-calendar-hours = Opening hours
admin-calendar-no-hours = No opening hours yet: add at least one interval.
admin-calendar-add-hours = Add hours
admin-calendar-holidays = Holidays
admin-calendar-no-holidays = No holidays.
admin-calendar-add-holiday = Add holiday
admin-calendar-new = New calendar
admin-calendar-create = Create calendar
admin-remove = Remove
field-weekday = Day
field-opens = Opens
field-closes = Closes
field-date = Date
field-holiday-name = Name
field-time-zone = Time zone
hint-time-zone = An IANA name such as Asia/Tehran or Europe/Berlin.
field-always-open = Open 24/7
invalid-time-zone = Use a time zone name such as Asia/Tehran.
invalid-hours = Choose a day and times like 08:00.
invalid-hours-order = The closing time must be after the opening time.
invalid-date = Enter a date like 2026-12-31.
taken-calendar-key = Another calendar has this key.
weekday-monday = Monday
weekday-tuesday = Tuesday
weekday-wednesday = Wednesday
weekday-thursday = Thursday
weekday-friday = Friday
weekday-saturday = Saturday
weekday-sunday = Sunday
sla-due-in = due in { $span }
sla-overdue-by = overdue by { $span }
sla-promise = Support answers within { $target } on your { $plan } plan — by { $due }.
span-days-hours = { $d } d { $h } h
span-hours-minutes = { $h } h { $m } min
span-minutes = { $m } min
bench-already-seeded = Bench data is already there (organization bench-1 exists). Use a fresh database.
hint-plan-key-fixed = A plan keeps its key: pages and links name plans by it.
col-resolution = Resolution
resolution-due = due by { $due }
resolution-paused = paused: awaiting the customer ({ $used } of { $target } business minutes used)
resolution-met = met
resolution-missed = missed
error-title-405 = Not available this way
error-text-405 = This page cannot be used like that. Go back and try again from the page itself.
