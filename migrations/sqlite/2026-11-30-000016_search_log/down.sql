DROP TABLE search_log_floor;
DROP TABLE search_log;
