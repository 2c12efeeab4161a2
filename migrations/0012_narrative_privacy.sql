-- A narrative can be private to its author (and admins), as a photo can; and the writer's
-- role is kept, so an admin's narrative reads as an admin's (older ones have none).
ALTER TABLE narratives ADD COLUMN private INTEGER NOT NULL DEFAULT 0 CHECK (private IN (0, 1));
ALTER TABLE narratives ADD COLUMN author_role TEXT;
