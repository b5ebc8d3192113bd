SELECT count(*) FROM events;
