-- Accounts by their token subject (`AccountStore::account_by_subject`): a
-- calendar feed's fetch looks up its creator's account each time.
CREATE INDEX accounts_subject ON accounts (subject);
