package reql

// GRANT: r.grant(user, perms), db.grant(user, perms), table.grant(user,
// perms), as RethinkDB's grant_term_t and auth::grant (grant.cc): the
// permissions object is merged into the user's permissions at that scope
// and the answer is {granted: 1, permissions_changes: [{new_val, old_val}]}
// with the scope's permissions before and after (null when none is set).

func init() {
	register(TermGrant, spec{minArgs: 2, maxArgs: 3, eval: evalGrant})
}

func evalGrant(c *evalCtx, t *Term) (any, error) {
	n := len(t.Args)
	name, err := c.evalString(t.Args[n-2])
	if err != nil {
		return nil, err
	}
	perms, err := c.evalDatum(t.Args[n-1])
	if err != nil {
		return nil, err
	}
	key := permissionKey{user: name, size: 1}
	if n == 3 {
		v, err := c.eval(t.Args[0])
		if err != nil {
			return nil, err
		}
		switch x := v.(type) {
		case *Database:
			if key.dbID, err = c.dbID(x.Name); err != nil {
				return nil, err
			}
			key.size = 2
		case *Table:
			if key.dbID, key.tableID, err = c.tableIDs(x); err != nil {
				return nil, err
			}
			key.size = 3
		default:
			return nil, typeErr("TABLE", v, t.Args[0])
		}
	}
	if name == AdminUser {
		return nil, newErr(ErrOpFailed, "The permissions of the user `%s` can't be modified.", name)
	}
	// Granting writes rethinkdb.permissions (grant.cc checks exactly this).
	permTable := SystemTableID("permissions")
	if err := c.require(permRead, SystemDBID, permTable); err != nil {
		return nil, err
	}
	if err := c.require(permWrite, SystemDBID, permTable); err != nil {
		return nil, err
	}
	if c.env.Users == nil {
		return nil, newErr(ErrOpFailed, "User `%s` not found.", name)
	}
	old, updated, err := c.env.Users.UpdateUser(c.ctx, name, func(u *User) (*User, *PasswordChange, error) {
		if u == nil {
			return nil, nil, newErr(ErrOpFailed, "User `%s` not found.", name)
		}
		p, err := mergePermissions(key.of(u), perms, key.size == 1)
		if err != nil {
			return nil, nil, err
		}
		key.set(u, p)
		return u, nil, nil
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{
		"granted": 1.0,
		"permissions_changes": []any{map[string]any{
			"new_val": permissionsDatum(key.of(updated)),
			"old_val": permissionsDatum(key.of(old)),
		}},
	}, nil
}
