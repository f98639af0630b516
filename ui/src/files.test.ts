import { describe, expect, it } from 'vitest';
import { base64ToBytes, bytesToBase64, canSendAsPhoto, downloadName } from './files';
import { formatSize } from './format';

describe('files', () => {
  it('round-trips bytes through base64, also past one chunk', () => {
    const bytes = new Uint8Array(70_000).map((_, i) => (i * 31) % 256);
    expect(base64ToBytes(bytesToBase64(bytes))).toEqual(bytes);
    expect(bytesToBase64(new Uint8Array([0xff, 0xd8, 0xff]))).toBe('/9j/');
  });

  it('cleans a customer file name before suggesting it for saving', () => {
    expect(downloadName('../../etc/passwd', 'File')).toBe('_.._etc_passwd');
    expect(downloadName('invoice\u202Efdp.exe', 'File')).toBe('invoicefdp.exe');
    expect(downloadName('  ', 'File')).toBe('File');
    expect(downloadName(null, 'Photo')).toBe('Photo');
  });

  it('sends JPEG, PNG and WebP up to 10 MB as photos', () => {
    expect(canSendAsPhoto({ type: 'image/jpeg', size: 10 * 1024 * 1024 })).toBe(true);
    expect(canSendAsPhoto({ type: 'image/webp', size: 1 })).toBe(true);
    expect(canSendAsPhoto({ type: 'image/png', size: 10 * 1024 * 1024 + 1 })).toBe(false);
    expect(canSendAsPhoto({ type: 'image/gif', size: 1 })).toBe(false);
  });

  it('writes sizes for people', () => {
    expect(formatSize(512)).toBe('512 B');
    expect(formatSize(14 * 1024)).toBe('14 KB');
    expect(formatSize(3.25 * 1024 * 1024)).toBe('3.3 MB');
  });
});
