DROP INDEX tickets_open_counts;
