DROP INDEX tickets_org_open;
