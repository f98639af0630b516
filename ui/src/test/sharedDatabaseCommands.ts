// The fake shell's shared-database commands: the view, testing a login, connecting (the password
// kept here, as in the keychain), leaving, and restarting (which never answers, like the app).

import type { SharedDatabaseCheck, SharedDatabaseLogin, SharedDatabaseView } from '../generated/ipc';
import { type Commands, failure, type ShellContext, UNHANDLED } from './shellContext';

const withoutScheme = (address: string) => address.trim().replace(/^postgres(ql)?:\/\//i, '');

export function sharedDatabaseCommands(ctx: ShellContext): Commands {
  const { shell } = ctx;
  const view = (): SharedDatabaseView => structuredClone(shell.database);

  /** Checks a login the way the shell does, with its sentences. */
  const check = (login: SharedDatabaseLogin): SharedDatabaseCheck => {
    const address = withoutScheme(login.address);
    if (address.includes('@')) throw failure('invalid_input', 'Put the password in the password field, not in the address.');
    const known = shell.databaseAccounts.filter((a) => withoutScheme(a.address) === address);
    if (known.length === 0) {
      throw failure('storage', `Could not reach a database at ${address}: check the address and the network.`);
    }
    const account = known.find((a) => a.user === login.user && a.password === login.password);
    if (!account) throw failure('forbidden', 'The shared database refused this user name or password.');
    return { operator_name: account.operator_name, is_admin: account.is_admin, ...shell.databaseServer };
  };

  return (cmd, args) => {
    switch (cmd) {
      case 'shared_database':
        return view();
      case 'test_shared_database':
        return check(args['login'] as SharedDatabaseLogin);
      case 'connect_shared_database': {
        const login = args['login'] as SharedDatabaseLogin;
        const who = check(login);
        shell.databasePassword = login.password;
        shell.database = {
          ...shell.database,
          address: withoutScheme(login.address),
          user: login.user,
          operator_name: who.operator_name,
          restart_required: shell.database.mode !== 'shared',
          problem: null,
        };
        return view();
      }
      case 'leave_shared_database':
        shell.database = { ...shell.database, restart_required: shell.database.mode === 'shared' };
        return view();
      case 'restart_app':
        // The app goes away; the promise never settles.
        return new Promise<never>(() => undefined);
      default:
        return UNHANDLED;
    }
  };
}
