/* test_cpu_policy.c - place(vcpus, pcpus, ctx): the contract as the
 * worker bridge passes it (docs/policies.md, "The CPU contract"), what
 * comes back, refusals, and the shipped CPU policies' core rules.  Real
 * Lua in a real worker: no mocks. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cpu_policy.h"
#include "policy.h"
#include "snapshot.h"
#include "testutil.h"

/* A 4-pCPU host; vCPU i of domain "vmI" (1-based, one each) pinned to
 * pin[i] (-1 = every pCPU) and last run on pcpu[i], with the given
 * demand (util = demand, no delay). */
static void host(struct mc_snapshot *s, size_t n, const int *pin, const int *pcpu,
		 const double *demand)
{
	unsigned p;
	size_t i;

	mc_snapshot_init(s);
	s->time = 100;
	s->cpu.collected = true;
	s->cpu.npcpus = 4;
	for (i = 0; i < n; i++) {
		char name[32];
		struct mc_vcpu *v;

		snprintf(name, sizeof(name), "vm%zu", i + 1);
		v = mc_cpu_snap_add_vcpu(&s->cpu, name, 0);
		assert_non_null(v);
		snprintf(v->uuid, sizeof(v->uuid), "uuid-%u", (unsigned)i + 1);
		v->id = (int)i + 1;
		v->pcpu = pcpu[i];
		v->affinity = pin[i] < 0 ? mc_cpuset_first(4) : mc_cpuset_first(0);
		if (pin[i] >= 0)
			mc_cpuset_add(&v->affinity, (unsigned)pin[i]);
		v->track = (struct mc_vcpu_track){ .have_util = true, .util = demand[i],
			.demand = demand[i], .moved_at = -1 };
		s->cpu.pcpus[pcpu[i]].vcpu_util += demand[i];
	}
	for (p = 0; p < 4; p++) {
		struct mc_pcpu *c = &s->cpu.pcpus[p];

		c->online = c->have_util = true;
		c->util = c->vcpu_util > 100 ? 100 : c->vcpu_util;
	}
	mc_cpu_snap_sort(&s->cpu);
}

static struct mc_policy *load_text(const char *text, char **path)
{
	char err[512];
	struct mc_policy *p;

	*path = write_temp(text, ".lua");
	p = mc_cpu_policy_load(*path, NULL, 0, 2.0, err, sizeof(err));
	if (!p)
		fail_msg("%s", err);
	return p;
}

static int place(struct mc_policy *p, const struct mc_snapshot *s,
		 struct mc_cpu_pins *out, char *err, size_t errlen)
{
	struct mc_policy_ctx ctx = { .period = 2, .elapsed = 2, .tick = 3,
				     .reason = "period" };
	struct mc_cpuset allowed = mc_cpuset_first(4);

	return mc_cpu_policy_place(p, s, &allowed, &ctx, out, err, errlen);
}

static const int ALL_ON_0[8] = { 0, 0, 0, 0, 0, 0, 0, 0 };
static const int BALANCED[8] = { 0, 1, 2, 3, 0, 1, 2, 3 };
static const int ROTATED[8] = { 3, 0, 1, 2, 3, 0, 1, 2 };
static const int FREE[8] = { -1, -1, -1, -1, -1, -1, -1, -1 };
static const double EQUAL[8] = { 30, 30, 30, 30, 30, 30, 30, 30 };

/* Every field the contract promises, checked in Lua: a mismatch raises. */
static void test_fields(void **state)
{
	static const char policy[] =
		"local function eq(a, b, what) if a ~= b then\n"
		"  error(what .. ': ' .. tostring(a) .. ' ~= ' .. tostring(b)) end end\n"
		"function place(vcpus, pcpus, ctx)\n"
		"  eq(#vcpus, 8, '#vcpus') eq(#pcpus, 4, '#pcpus')\n"
		"  eq(ctx.period, 2, 'period') eq(ctx.tick, 3, 'tick')\n"
		"  eq(ctx.reason, 'period', 'reason') eq(type(ctx.log), 'function', 'log')\n"
		"  local v = vcpus[2]\n"
		"  eq(v.domain, 'vm2', 'domain') eq(v.uuid, 'uuid-2', 'uuid') eq(v.id, 2, 'id')\n"
		"  eq(v.vcpu, 0, 'vcpu') eq(v.util, 30, 'util') eq(v.delay, 0, 'delay')\n"
		"  eq(v.demand, 30, 'demand') eq(v.pcpu, 1, 'pcpu') eq(#v.affinity, 1, '#aff')\n"
		"  eq(v.affinity[1], 1, 'affinity') eq(v.moved_at, nil, 'moved_at')\n"
		"  eq(v.excluded, false, 'excluded') eq(type(v.params), 'table', 'params')\n"
		"  eq(v.prev.util, 20, 'prev.util') eq(v.prev.pcpu, 3, 'prev.pcpu')\n"
		"  eq(vcpus[1].prev, nil, 'no prev') eq(vcpus[1].moved_at, 50, 'moved_at set')\n"
		"  local p = pcpus[2]\n"
		"  eq(p.id, 1, 'id') eq(p.online, true, 'online') eq(p.allowed, true, 'allowed')\n"
		"  eq(p.util, 60, 'util') eq(p.vcpu_util, 60, 'vcpu_util') eq(p.other, 0, 'other')\n"
		"  eq(vcpus[3].util, nil, 'no util') eq(vcpus[3].demand, nil, 'no demand')\n"
		"  return nil\n"
		"end\n";
	struct mc_snapshot s;
	struct mc_cpu_pins out = { 0 };
	char *path, err[512];
	struct mc_policy *p = load_text(policy, &path);

	(void)state;
	host(&s, 8, BALANCED, BALANCED, EQUAL);
	s.cpu.vcpus[1].track.have_prev = true;
	s.cpu.vcpus[1].track.prev_util = 20;
	s.cpu.vcpus[1].track.prev_pcpu = 3;
	s.cpu.vcpus[0].track.moved_at = 50;
	s.cpu.vcpus[2].track.have_util = false;
	if (place(p, &s, &out, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(out.n, 0);
	mc_cpu_pins_free(&out);
	mc_policy_close(p);
	mc_snapshot_free(&s);
	drop_temp(path);
}

/* pcpu = N and pcpus = {...}; entries that are not the contract's become
 * pinnings the clamps drop (no domain, NaN vcpu, mask_ok false). */
static void test_pins_back(void **state)
{
	static const char policy[] =
		"function place(vcpus, pcpus, ctx) return {\n"
		"  { domain = 'vm1', vcpu = 0, pcpu = 2 },\n"
		"  { domain = 'vm2', vcpu = 0, pcpus = { 1, 3 } },\n"
		"  { domain = 'vm3', vcpu = 0, pcpu = 999 },\n"
		"  { domain = 'vm4', vcpu = 0, pcpus = { 1, 'x' } },\n"
		"  { domain = 5, vcpu = 'a', pcpu = 1 },\n"
		"  'junk',\n"
		"  { domain = 'vm5', vcpu = 0, pcpu = 1.5 },\n"
		"} end\n";
	struct mc_snapshot s;
	struct mc_cpu_pins out = { 0 };
	char *path, err[512], buf[32];
	struct mc_policy *p = load_text(policy, &path);
	size_t i, bad = 0;

	(void)state;
	host(&s, 8, BALANCED, BALANCED, EQUAL);
	assert_int_equal(place(p, &s, &out, err, sizeof(err)), 0);
	assert_int_equal(out.n, 7);
	for (i = 0; i < out.n; i++) {
		const struct mc_cpu_pin *x = &out.v[i];

		if (x->domain && !strcmp(x->domain, "vm1")) {
			assert_true(x->mask_ok);
			assert_string_equal(mc_cpuset_str(&x->mask, buf, sizeof(buf)), "2");
		} else if (x->domain && !strcmp(x->domain, "vm2")) {
			assert_true(x->mask_ok);
			assert_string_equal(mc_cpuset_str(&x->mask, buf, sizeof(buf)), "1,3");
		} else {
			bad += !x->mask_ok || !x->domain || isnan(x->vcpu);
		}
	}
	assert_int_equal(bad, 5);
	mc_cpu_pins_free(&out);
	mc_policy_close(p);
	mc_snapshot_free(&s);
	drop_temp(path);
}

/* Refusals: no place(); a memory policy as a CPU policy and back; a
 * place() that raises, returns a string, or never ends. */
static void test_refusals(void **state)
{
	struct mc_snapshot s;
	struct mc_cpu_pins out = { 0 };
	char *path, err[512];
	struct mc_policy *p;

	(void)state;
	path = write_temp("function decide(d, h, c) return {} end\n", ".lua");
	assert_null(mc_cpu_policy_load(path, NULL, 0, 2.0, err, sizeof(err)));
	assert_non_null(strstr(err, "defines no function place(vcpus, pcpus, ctx)"));
	drop_temp(path);
	path = write_temp("function place(v, p, c) return nil end\n", ".lua");
	assert_null(mc_policy_load(path, NULL, 0, err, sizeof(err)));
	assert_non_null(strstr(err, "defines no function decide(domains, host, ctx)"));
	drop_temp(path);

	host(&s, 8, BALANCED, BALANCED, EQUAL);
	p = load_text("function place(v, p, c) error('boom') end\n", &path);
	assert_int_equal(place(p, &s, &out, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "boom"));
	mc_policy_close(p);
	drop_temp(path);
	p = load_text("function place(v, p, c) return 'pins' end\n", &path);
	assert_int_equal(place(p, &s, &out, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a table of pinnings"));
	mc_policy_close(p);
	drop_temp(path);
	p = load_text("function place(v, p, c) while true do end end\n", &path);
	mc_policy_set_timeout(p, 0.3);
	assert_int_equal(place(p, &s, &out, err, sizeof(err)), -1);
	assert_int_equal(out.n, 0);
	mc_policy_close(p);
	drop_temp(path);
	mc_snapshot_free(&s);
}

static struct mc_policy *shipped(const char *name)
{
	char path[128], err[512];
	struct mc_policy *p;

	snprintf(path, sizeof(path), "policies/%s.lua", name);
	p = mc_cpu_policy_load(path, NULL, 0, 2.0, err, sizeof(err));
	if (!p)
		fail_msg("%s", err);
	return p;
}

/* Pins per pCPU after applying out to the snapshot's pins. */
static void count_after(const struct mc_snapshot *s, const struct mc_cpu_pins *out,
			unsigned per[4])
{
	size_t i, k;

	memset(per, 0, 4 * sizeof(*per));
	for (i = 0; i < s->cpu.nvcpus; i++) {
		const struct mc_vcpu *v = &s->cpu.vcpus[i];
		int at = mc_cpuset_count(&v->affinity) == 1 ? mc_cpuset_lowest(&v->affinity) : v->pcpu;

		for (k = 0; k < out->n; k++)
			if (!strcmp(out->v[k].domain, v->domain))
				at = mc_cpuset_lowest(&out->v[k].mask);
		per[at]++;
	}
}

/* The default: Test 1 (all on pCPU0) -> two per pCPU with 6 moves, the two
 * staying on pCPU0; Test 3 (balanced) -> nothing; Test 5's loads (4 heavy,
 * 4 light, all on pCPU0) -> one heavy and one light per pCPU. */
static void test_cpu_balance(void **state)
{
	static const double mixed[8] = { 50, 10, 50, 10, 50, 10, 50, 10 };
	static const double noisy[8] = { 44, 40, 41, 43, 39, 42, 45, 38 };
	struct mc_policy *p = shipped("cpu_balance");
	struct mc_snapshot s;
	struct mc_cpu_pins out = { 0 };
	unsigned per[4], i;
	char err[512];

	(void)state;
	host(&s, 8, ALL_ON_0, ALL_ON_0, EQUAL);
	assert_int_equal(place(p, &s, &out, err, sizeof(err)), 0);
	assert_int_equal(out.n, 6);
	count_after(&s, &out, per);
	for (i = 0; i < 4; i++)
		assert_int_equal(per[i], 2);
	mc_snapshot_free(&s);
	host(&s, 8, BALANCED, BALANCED, EQUAL);
	assert_int_equal(place(p, &s, &out, err, sizeof(err)), 0);
	assert_int_equal(out.n, 0);
	mc_snapshot_free(&s);
	/* Balanced, with the noise of measured demand: LPT would pair them
	 * otherwise, but nothing is gained by it (min_gain): no move. */
	host(&s, 8, BALANCED, BALANCED, noisy);
	assert_int_equal(place(p, &s, &out, err, sizeof(err)), 0);
	assert_int_equal(out.n, 0);
	mc_snapshot_free(&s);
	/* Balanced another way round: the bins follow the pins, no move. */
	host(&s, 8, ROTATED, ROTATED, EQUAL);
	assert_int_equal(place(p, &s, &out, err, sizeof(err)), 0);
	assert_int_equal(out.n, 0);
	mc_snapshot_free(&s);
	host(&s, 8, FREE, ALL_ON_0, mixed);
	assert_int_equal(place(p, &s, &out, err, sizeof(err)), 0);
	assert_int_equal(out.n, 8);
	for (i = 0; i < 4; i++) {
		double load = 0;
		size_t k;

		for (k = 0; k < out.n; k++)
			if (mc_cpuset_has(&out.v[k].mask, i))
				load += mixed[out.v[k].domain[2] - '1'];
		assert_true(fabs(load - 60) < 1e-9);
	}
	mc_cpu_pins_free(&out);
	mc_snapshot_free(&s);
	mc_policy_close(p);
}

static void test_other_policies(void **state)
{
	struct mc_policy *rr = shipped("cpu_round_robin");
	struct mc_policy *b2f = shipped("cpu_busiest_to_freest");
	struct mc_policy *k = shipped("cpu_kernel");
	struct mc_snapshot s;
	struct mc_cpu_pins out = { 0 };
	unsigned per[4], i;
	char err[512];

	(void)state;
	host(&s, 8, ALL_ON_0, ALL_ON_0, EQUAL);
	assert_int_equal(place(rr, &s, &out, err, sizeof(err)), 0);
	count_after(&s, &out, per);
	for (i = 0; i < 4; i++)
		assert_int_equal(per[i], 2);
	assert_string_equal(out.v[0].domain, "vm2");	/* vm1 stays on 0 */
	assert_int_equal(mc_cpuset_lowest(&out.v[0].mask), 1);
	assert_int_equal(place(b2f, &s, &out, err, sizeof(err)), 0);
	assert_int_equal(out.n, 1);		/* one move a period */
	assert_int_equal(mc_cpuset_lowest(&out.v[0].mask), 1);
	assert_int_equal(place(k, &s, &out, err, sizeof(err)), 0);
	assert_int_equal(out.n, 0);		/* the kernel's job */
	mc_cpu_pins_free(&out);
	mc_snapshot_free(&s);
	mc_policy_close(rr);
	mc_policy_close(b2f);
	mc_policy_close(k);
}

/* The fields docs/policies.md's "## The CPU contract" tables list are
 * exactly the ones the bridge passes (v.*, p.*; prev too). */
static void test_contract_matches_doc(void **state)
{
	static const char probe[] =
		"function place(vcpus, pcpus, ctx)\n"
		"  local seen = {}\n"
		"  for k in pairs(vcpus[2]) do seen[#seen + 1] = 'v.' .. k end\n"
		"  for k in pairs(pcpus[1]) do seen[#seen + 1] = 'p.' .. k end\n"
		"  local pins = {}\n"
		"  for i, k in ipairs(seen) do pins[i] = { domain = k, vcpu = 0, pcpu = 0 } end\n"
		"  return pins\n"
		"end\n";
	struct mc_snapshot s;
	struct mc_cpu_pins out = { 0 };
	char *path, err[512], line[1024], doc[64][32];
	struct mc_policy *p = load_text(probe, &path);
	FILE *f = fopen("docs/policies.md", "r");
	size_t ndoc = 0, i, k;
	bool inside = false;

	(void)state;
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "## ", 3))
			inside = !strcmp(line, "## The CPU contract\n");
		else if (inside && (!strncmp(line, "| `v.", 5) || !strncmp(line, "| `p.", 5)) &&
			 ndoc < 64)
			sscanf(line, "| `%31[a-z_.]`", doc[ndoc++]);
	}
	fclose(f);
	host(&s, 8, BALANCED, BALANCED, EQUAL);
	s.cpu.vcpus[1].track.have_prev = true;
	s.cpu.vcpus[1].track.moved_at = 1;
	assert_int_equal(place(p, &s, &out, err, sizeof(err)), 0);
	assert_int_equal(out.n, ndoc);
	for (i = 0; i < out.n; i++) {
		for (k = 0; k < ndoc && strcmp(doc[k], out.v[i].domain); k++)
			;
		if (k == ndoc)
			fail_msg("the bridge passes %s; docs/policies.md does not list it",
				 out.v[i].domain);
	}
	mc_cpu_pins_free(&out);
	mc_policy_close(p);
	mc_snapshot_free(&s);
	drop_temp(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_pins_back),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_cpu_balance),
		cmocka_unit_test(test_other_policies),
		cmocka_unit_test(test_contract_matches_doc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
