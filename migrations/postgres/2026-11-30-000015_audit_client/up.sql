-- Audit records carry the MCP client's name: the clientInfo.name of its initialize
-- request at /mcp, or the X-MCP header's value (server spec, "The MCP front door").
-- NULL for calls that are not MCP calls, and for records made before this column.
ALTER TABLE audit_log ADD COLUMN client TEXT;
