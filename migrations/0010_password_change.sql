-- An account whose password someone else chose (an admin's reset, or an account the app
-- created) must choose its own before it may do anything else.
ALTER TABLE staff ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0
    CHECK (must_change_password IN (0, 1));
