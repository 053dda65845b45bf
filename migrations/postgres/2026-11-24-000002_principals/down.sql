DROP TABLE principal_departments;
DROP TABLE principals;
