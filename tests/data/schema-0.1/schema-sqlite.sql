CREATE TABLE ogi_agency (
    code VARCHAR(64) NOT NULL,
    profile JSON NOT NULL,
    updated_at DATETIME NOT NULL,
    PRIMARY KEY (code)
);
CREATE TABLE ogi_request (
    id INTEGER NOT NULL,
    agency VARCHAR(64) NOT NULL,
    reg_no VARCHAR(64),
    reg_year INTEGER,
    reg_seq INTEGER,
    state VARCHAR(32) NOT NULL,
    outcome VARCHAR(64),
    applicant_kind VARCHAR(32) NOT NULL,
    applicant_name TEXT NOT NULL,
    applicant_key VARCHAR(300) NOT NULL,
    description TEXT NOT NULL,
    description_key VARCHAR(16) NOT NULL,
    channel VARCHAR(16) NOT NULL,
    received_at DATETIME NOT NULL,
    received_on DATE NOT NULL,
    clock_start DATE,
    due_date DATE,
    correction_window_end DATE,
    correction_requested_on DATE,
    paused_workdays INTEGER NOT NULL,
    extension_workdays INTEGER NOT NULL,
    estimated BOOLEAN NOT NULL,
    handler VARCHAR(200),
    replied_on DATE,
    archived_on DATE,
    application JSON NOT NULL,
    version INTEGER NOT NULL,
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT uq_ogi_request_reg_no UNIQUE (agency, reg_no),
    CONSTRAINT uq_ogi_request_reg_seq UNIQUE (agency, reg_year, reg_seq)
);
CREATE INDEX ix_ogi_request_applicant ON ogi_request (agency, applicant_key, received_on);
CREATE INDEX ix_ogi_request_received ON ogi_request (agency, received_on, description_key);
CREATE INDEX ix_ogi_request_replied ON ogi_request (agency, replied_on, received_on, applicant_kind, outcome, clock_start, paused_workdays);
CREATE INDEX ix_ogi_request_state_correction ON ogi_request (state, correction_window_end);
CREATE INDEX ix_ogi_request_state_due ON ogi_request (state, due_date);
CREATE TABLE ogi_event (
    id INTEGER NOT NULL,
    request_id INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    event VARCHAR(32) NOT NULL,
    actor VARCHAR(200) NOT NULL,
    at DATETIME NOT NULL,
    effective_on DATE NOT NULL,
    state_before VARCHAR(32),
    state_after VARCHAR(32) NOT NULL,
    reason TEXT,
    payload JSON NOT NULL,
    before_values JSON NOT NULL,
    after_values JSON NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT uq_ogi_event_seq UNIQUE (request_id, seq),
    FOREIGN KEY(request_id) REFERENCES ogi_request (id)
);
CREATE INDEX ix_ogi_event_records ON ogi_event (event, effective_on, request_id) WHERE event IN ('record_review', 'record_litigation');
CREATE TABLE ogi_counter (
    agency VARCHAR(64) NOT NULL,
    series VARCHAR(16) NOT NULL,
    year INTEGER NOT NULL,
    last_seq INTEGER NOT NULL,
    PRIMARY KEY (agency, series, year)
);
CREATE TABLE ogi_calendar_notice (
    id INTEGER NOT NULL,
    year INTEGER NOT NULL,
    content TEXT NOT NULL,
    loaded_at DATETIME NOT NULL,
    loaded_by VARCHAR(200) NOT NULL,
    PRIMARY KEY (id)
);
