// The fake shell's operator-login commands (admins in shared mode): the list, creating an operator
// with a login (checked the way the server checks it, with its sentences) and disabling a login.

import type { NewOperatorLogin, OperatorLogin } from '../generated/ipc';
import { operator } from './fixtures';
import { type Commands, failure, type ShellContext, UNHANDLED } from './shellContext';

const LOGIN = /^[a-z][a-z0-9_]*$/;

export function operatorLoginCommands(ctx: ShellContext): Commands {
  const { shell } = ctx;
  const list = (): OperatorLogin[] => structuredClone(shell.operatorLogins);

  /** Standalone has no logins to manage; only admins manage them. */
  const refuseUnlessAdmin = () => {
    if (shell.database.mode !== 'shared') {
      throw failure('forbidden', 'Operator logins exist only in shared mode.');
    }
    if (!shell.operatorLoginsAdmin) throw failure('forbidden', 'Only an admin can manage operator logins.');
  };

  const create = (input: NewOperatorLogin): OperatorLogin => {
    const name = input.name.trim();
    if (name === '') throw failure('invalid_input', 'An operator has a name.');
    if (!LOGIN.test(input.login)) {
      throw failure('invalid_input', 'A login name is lower-case letters, digits and _, starting with a letter.');
    }
    if (shell.operatorLogins.some((l) => l.login === input.login)) {
      throw failure('conflict', 'That login is already taken.');
    }
    if ([...input.password].length < 8) throw failure('invalid_input', 'A password has at least 8 characters.');
    const userId = `u${ctx.nextId()}`;
    const created: OperatorLogin = { user_id: userId, name, login: input.login, is_admin: input.is_admin, enabled: true };
    shell.operatorLogins = [...shell.operatorLogins, created];
    shell.operators = [...shell.operators, operator({ id: userId, name })];
    shell.queues = shell.queues.map((q) =>
      input.queue_ids.includes(q.id) ? { ...q, operator_names: [...q.operator_names, name] } : q,
    );
    // The database accepts the new login from now on (the password lives there, not here).
    shell.databaseAccounts = [
      ...shell.databaseAccounts,
      {
        address: shell.database.address ?? '',
        user: input.login,
        password: input.password,
        operator_name: name,
        is_admin: input.is_admin,
      },
    ];
    return structuredClone(created);
  };

  const disable = (login: string): OperatorLogin[] => {
    const found = shell.operatorLogins.find((l) => l.login === login);
    if (!found) throw failure('not_found', `There is no login ${login}.`);
    if (login === shell.database.user) throw failure('conflict', 'You cannot disable your own login.');
    shell.operatorLogins = shell.operatorLogins.map((l) => (l.login === login ? { ...l, enabled: false } : l));
    return list();
  };

  return (cmd, args) => {
    switch (cmd) {
      case 'list_operator_logins':
        refuseUnlessAdmin();
        return list();
      case 'create_operator_login':
        refuseUnlessAdmin();
        return create(args['login'] as NewOperatorLogin);
      case 'disable_operator_login':
        refuseUnlessAdmin();
        return disable(args['login'] as string);
      default:
        return UNHANDLED;
    }
  };
}
