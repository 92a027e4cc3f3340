// Issues a Keystone token the way a client does (password auth scoped to the user's own project), for every bench
// mode that needs callers (run.ts, attack.ts, soak.ts). The seeded demo users' passwords are their names.
// https://docs.openstack.org/api-ref/identity/v3/#password-authentication-with-scoped-authorization

export async function issueToken(keystoneUrl: string, user: string, project: string): Promise<string> {
  const res = await fetch(`${keystoneUrl}/auth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: { methods: ['password'], password: { user: { name: user, domain: { id: 'default' }, password: user } } },
        scope: { project: { name: project, domain: { id: 'default' } } },
      },
    }),
  });
  await res.arrayBuffer();
  // Keystone answers 201 with the token only in the X-Subject-Token header.
  const token = res.headers.get('x-subject-token');
  if (res.status !== 201 || !token) throw new Error(`keystone answered ${res.status} for ${user}`);
  return token;
}
