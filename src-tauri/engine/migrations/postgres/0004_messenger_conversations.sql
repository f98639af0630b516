-- Messenger conversations: the HUMAN_AGENT tag per channel, delivery and read
-- receipts of outbound messages, and the app holding a chat's thread.

-- Send with MESSAGE_TAG + HUMAN_AGENT between 24 h and 7 days after the
-- customer's last message (only if Meta approved the app for it).
ALTER TABLE channels ADD COLUMN human_agent BOOLEAN NOT NULL DEFAULT FALSE;

-- Messenger `delivery` and `read` webhooks (watermarks) on outbound messages.
ALTER TABLE messages ADD COLUMN delivered_at BIGINT;
ALTER TABLE messages ADD COLUMN read_at BIGINT;
