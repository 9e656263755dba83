import { describe, expect, it } from 'vitest';
import { parseKickstart, rebootsInScript, splitWords } from './kickstart-syntax.js';

describe('splitWords (pykickstart shlex rules)', () => {
  it.each([
    ['network --bootproto=dhcp  --device=link', ['network', '--bootproto=dhcp', '--device=link']],
    ['bootloader --append="console=tty0 console=ttyS0"', ['bootloader', '--append=console=tty0 console=ttyS0']],
    ["rootpw 'a b\\c'", ['rootpw', 'a b\\c']],
    ['lang en_US.UTF-8   # language', ['lang', 'en_US.UTF-8']],
    ['rootpw pass#word', ['rootpw', 'pass#word']],
    ['sshkey --username=root "ssh-ed25519 AAAA \\"x\\""', ['sshkey', '--username=root', 'ssh-ed25519 AAAA "x"']],
  ])('%s', (line, words) => expect(splitWords(line).words).toEqual(words));

  it('reports an unterminated quote with its column', () => {
    expect(splitWords("rootpw 'abc").error).toEqual({ column: 8, message: 'unterminated single quote' });
  });
});

describe('parseKickstart', () => {
  it('keeps section bodies verbatim, commands anywhere outside sections', () => {
    const doc = parseKickstart('text\n%post --log=/x\n  echo "%end not here"\n%end\npoweroff\n');
    expect(doc.errors).toEqual([]);
    expect(doc.items.map((i) => (i.kind === 'section' ? i.name : i.kind === 'command' ? i.name : i.path))).toEqual(['text', '%post', 'poweroff']);
    expect(doc.items[1]).toMatchObject({ body: [{ line: 3, text: '  echo "%end not here"' }], endLine: 4, args: ['--log=/x'] });
  });

  it('reads %include and any word as a command, and opens unknown %sections so their %end matches (the release grammar judges them)', () => {
    const doc = parseKickstart('  Text\n%include /tmp/part.ks\nfrobnicate\n%postinstall\ntrue\n%end\n');
    expect(doc.errors).toEqual([]);
    expect(doc.warnings).toEqual([]);
    expect(doc.items.map((i) => [i.kind, i.line])).toEqual([
      ['command', 1],
      ['include', 2],
      ['command', 3],
      ['section', 4],
    ]);
  });
});

describe('rebootsInScript', () => {
  it.each([
    'reboot',
    '  /sbin/reboot -f',
    'sync; reboot',
    'shutdown -r now',
    'shutdown -h now',
    'poweroff',
    'systemctl reboot',
    'init 6',
    'if true; then halt; fi',
    'x && /usr/sbin/poweroff',
  ])('catches %s', (line) => expect(rebootsInScript(line)).toBe(true));
  it.each(['echo "do not reboot"', '# reboot later', 'systemctl enable shutdown-hook.service', 'grep halt /etc/x', 'rpm -q reboot-notifier', 'echo rebooting'])(
    'leaves %s alone',
    (line) => expect(rebootsInScript(line)).toBe(false),
  );
});
