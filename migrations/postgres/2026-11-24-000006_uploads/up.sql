-- Finished export files (the file is <data dir>/uploads/<upload_id>.csv).
CREATE TABLE uploads (
    upload_id   TEXT PRIMARY KEY,
    owner_id    TEXT NOT NULL,
    file_name   TEXT NOT NULL,
    row_count   BIGINT NOT NULL,
    created_at  TIMESTAMP NOT NULL
);
