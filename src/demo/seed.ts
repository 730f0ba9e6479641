import type { Knex } from 'knex';

/** A small deterministic PRNG, so every demo fleet looks the same for the same tenant. */
function random(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 0x1_0000_0000;
  };
}

const DAY = 86_400_000;

/** Sample LMS data for one tenant of the demo fleet, including old audit rows for the cleanup to find. */
export async function seedTenant(knex: Knex, index: number): Promise<void> {
  const rnd = random(index * 7919 + 17);
  const now = Date.now();
  const userCount = 20 + Math.floor(rnd() * 80);
  await knex.transaction(async (trx) => {
    const users = Array.from({ length: userCount }, (_, i) => ({
      email: `user${i}@tenant${index}.example`,
      display_name: `User ${i}`,
      created_at: new Date(now - Math.floor(rnd() * 900) * DAY),
    }));
    await trx.batchInsert('users', users, 200);
    const courses = Array.from({ length: 5 + Math.floor(rnd() * 10) }, (_, i) => ({
      code: `C${index}-${i}`,
      title: `Course ${i}`,
      owner_id: 1 + Math.floor(rnd() * userCount),
    }));
    await trx.batchInsert('courses', courses, 200);
    const enrollments = new Map<string, { user_id: number; course_id: number }>();
    for (let i = 0; i < userCount * 3; i++) {
      const e = {
        user_id: 1 + Math.floor(rnd() * userCount),
        course_id: 1 + Math.floor(rnd() * courses.length),
      };
      enrollments.set(`${e.user_id}:${e.course_id}`, e);
    }
    await trx.batchInsert('enrollments', [...enrollments.values()], 200);
    const submissions = [...enrollments.values()].slice(0, userCount * 2).map((e, i) => ({
      ...e,
      assignment: `Assignment ${i % 7}`,
      body: 'lorem ipsum',
      score: rnd() < 0.8 ? Math.floor(rnd() * 100) : null,
      submitted_at: new Date(now - Math.floor(rnd() * 500) * DAY),
    }));
    await trx.batchInsert('submissions', submissions, 200);
    const audit = Array.from({ length: 200 + Math.floor(rnd() * 300) }, () => ({
      occurred_at: new Date(now - Math.floor(rnd() * 1000) * DAY),
      actor_id: 1 + Math.floor(rnd() * userCount),
      action: rnd() < 0.5 ? 'login' : 'view',
      detail: null,
    }));
    await trx.batchInsert('audit_log', audit, 200);
  });
}
