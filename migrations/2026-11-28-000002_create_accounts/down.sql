DROP TABLE login_failures;
DROP TABLE memberships;
DROP TABLE organizations;
DROP TABLE users;
