import { useState } from 'react';
import { errorMessage, restartApp } from '../ipc';
import { t } from '../i18n';

/** "Restart Switchboard to …" with a Restart now button: a change of work mode takes effect only
 * after a restart. */
export function RestartPrompt({ message }: { message: string }) {
  const [restarting, setRestarting] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const restart = async () => {
    setRestarting(true);
    setError(null);
    try {
      await restartApp();
      // The shell answered instead of restarting: let the person try again.
      setRestarting(false);
    } catch (failure) {
      setError(errorMessage(failure));
      setRestarting(false);
    }
  };

  return (
    <div className="restart-prompt" data-testid="restart-prompt">
      <p className="restart-prompt__text" role="status">
        {message}
      </p>
      {error !== null && (
        <div className="error-banner" role="alert" data-testid="restart-error">
          <span className="error-banner__text">{error}</span>
        </div>
      )}
      <button
        type="button"
        className="primary-button"
        data-testid="restart-now"
        disabled={restarting}
        onClick={() => void restart()}
      >
        {restarting ? t('sharedDb.restarting') : t('sharedDb.restartNow')}
      </button>
    </div>
  );
}
