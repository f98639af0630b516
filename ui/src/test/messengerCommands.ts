// The fake shell's Messenger commands: the webhook, taking a thread from a bot, giving it back.

import { type Commands, failure, notFound, type ShellContext, UNHANDLED } from './shellContext';

export function messengerCommands(ctx: ShellContext): Commands {
  const { shell, systemLine, myActiveChat, removeChat } = ctx;
  return (cmd, args) => {
    switch (cmd) {
      case 'messenger_webhook':
        return structuredClone(shell.webhook);
      case 'take_thread': {
        const found = shell.chats.find((c) => c.id === args['chatId']);
        if (!found) throw notFound(args['chatId']);
        if (found.state !== 'bot') throw failure('conflict', 'No bot holds this conversation any more.');
        // It enters routing; here it comes straight back as an offer to this desk.
        found.state = 'offered';
        found.offered_to_me = true;
        systemLine(found.id, `${shell.me.name} took the conversation from the bot`);
        return null;
      }
      case 'pass_thread_back': {
        const found = myActiveChat(args['chatId']);
        if (found.provider !== 'messenger') throw failure('invalid_input', 'Only Messenger conversations go to the Page Inbox.');
        systemLine(found.id, 'Given back to the Page Inbox');
        removeChat(found.id);
        return null;
      }
      default:
        return UNHANDLED;
    }
  };
}
