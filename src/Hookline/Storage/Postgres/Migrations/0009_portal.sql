-- Hookline schema v9: the portal's sign-in links that have opened a session (a link opens one, once), kept until the link
-- has expired. The links themselves are not stored: they are signed, and carry their workspace and expiry.
CREATE TABLE portal_link_uses (
    link_id     uuid        NOT NULL PRIMARY KEY,
    used_on     timestamptz NOT NULL,
    expires_on  timestamptz NOT NULL
);
