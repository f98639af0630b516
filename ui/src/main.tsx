import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { language } from './i18n';
// Order matters: later sheets refine earlier ones.
import './styles/base.css';
import './styles/chat-list.css';
import './styles/conversation.css';
import './styles/attachments.css';
import './styles/composer.css';
import './styles/chat-actions.css';
import './styles/messenger.css';
import './styles/settings.css';
import './styles/channels.css';
import './styles/facebook.css';
import './styles/shared-database.css';

document.documentElement.lang = language;

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');

createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
