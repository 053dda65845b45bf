DROP TABLE audit_departments;
DROP TABLE audit_log;
