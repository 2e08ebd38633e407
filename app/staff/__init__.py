"""Staff members (工作人员): accounts, roles, org units, and the audit log."""
