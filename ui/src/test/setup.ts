import { cleanup } from '@testing-library/react';
import { clearMocks } from '@tauri-apps/api/mocks';
import { afterEach } from 'vitest';

// Unmount first (components unsubscribe through the mocked IPC), then drop the mocks.
afterEach(() => {
  cleanup();
  clearMocks();
});
