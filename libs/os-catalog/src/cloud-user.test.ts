import { describe, expect, it } from 'vitest';
import { defaultCloudUser } from './cloud-user.js';

describe('defaultCloudUser', () => {
  it("the login of the distributions' cloud images", () => {
    expect(defaultCloudUser('debian', '12')).toBe('debian');
    expect(defaultCloudUser('ubuntu', '24.04')).toBe('ubuntu');
    expect(defaultCloudUser('fedora', '41')).toBe('fedora');
    expect(defaultCloudUser('rhel', '9.4')).toBe('cloud-user');
    expect(defaultCloudUser('centos', '7')).toBe('centos');
    expect(defaultCloudUser('centos', '9')).toBe('cloud-user');
  });
  it('unknown where it is not known', () => {
    expect(defaultCloudUser('gentoo')).toBeUndefined();
  });
});
