import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { sha512Crypt, randomSalt } from './sha512-crypt.js';
import { needsPrograms } from '../../../test/support/missing-program.js';

needsPrograms('openssl');

function opensslCrypt(password: string, salt: string): string {
  return execFileSync('openssl', ['passwd', '-6', '-salt', salt, '-stdin'], { input: password + '\n' })
    .toString()
    .trim();
}

describe('sha512Crypt', () => {
  it('matches the specification test vector', () => {
    expect(sha512Crypt('Hello world!', 'saltstring')).toBe('$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1');
    expect(sha512Crypt('Hello world!', 'saltstringsaltst', 10000)).toBe(
      '$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v.',
    );
  });

  it('agrees with openssl passwd -6 on hostile and long passwords', () => {
    for (const pw of ['a', 'p@ss "quoted" $(reboot) `x` \\back\\ %post', 'ünïcødé-パスワード', 'x'.repeat(200)]) {
      const salt = randomSalt();
      expect(sha512Crypt(pw, salt)).toBe(opensslCrypt(pw, salt));
    }
  });

  it('uses only the crypt alphabet', () => {
    expect(sha512Crypt('$(rm -rf /)\n%post')).toMatch(/^\$6\$[./0-9A-Za-z]{16}\$[./0-9A-Za-z]{86}$/);
  });
});
