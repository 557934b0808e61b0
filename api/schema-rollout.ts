// The progressive-delivery blocks of the schema: spec.rollout (steps and analysis gates)
// and status.rollout (where the operator has walked the effective weights so far).
import { celString, enumeration, integer, list, number, object, optional, required, string } from './schema-builder.ts';
import { DNS_LABEL } from './names.ts';

/** Kubernetes-style durations: `1s`, `90s`, `2m`, `1h30m`; one unit at least, seconds are the finest. */
export const DURATION = '^([0-9]+h)?([0-9]+m)?([0-9]+s)?$';

const duration = (what: string) =>
  string(`${what} A duration such as 30s, 2m or 1h30m, at least 1s.`, {
    pattern: DURATION,
    minLength: 2,
    maxLength: 16,
    // The pattern also accepts "" and "0s": one non-zero digit makes it at least one second.
    rules: [{ rule: `self.matches(${celString('[1-9]')})`, message: 'a duration must be at least 1s (such as 30s, 2m or 1h30m)' }],
  });

const fraction = (what: string) => number(what, { minimum: 0, maximum: 1 });

const step = object(
  'One step of a rollout: either setWeight or pause.',
  {
    setWeight: optional(integer("The candidate's percent of live traffic from this step on.", { minimum: 1, maximum: 100 })),
    pause: optional(object('Hold the current weights while the analysis watches.', { duration: required(duration('How long to hold.')) })),
  },
  { rules: [{ rule: 'has(self.setWeight) != has(self.pause)', message: 'each rollout step sets exactly one of setWeight or pause' }] },
);

const shadow = object(
  "Before any live traffic: copy requests to the candidate and compare its outputs with the stable version's, tensor by tensor.",
  {
    percent: optional(integer('Percent of live requests copied to the candidate (default 100).', { minimum: 1, maximum: 100 })),
    duration: required(duration('How long to shadow before the first step.')),
    minAgreement: optional(fraction("Share of compared requests whose outputs must match the stable's, per interval (default 0.99).")),
    tolerance: optional(
      object('How far two values may differ and still match: |a-b| <= absolute + relative*|b| (defaults 1e-4 and 1e-3).', {
        absolute: optional(number('Absolute tolerance.', { minimum: 0 })),
        relative: optional(number('Relative tolerance.', { minimum: 0 })),
      }),
    ),
  },
);

const analysis = object('Gates measured by the router every interval; a failed gate beyond failureLimit aborts the rollout.', {
  interval: optional(duration("How often the gates are evaluated, each over that interval's requests (default 15s).")),
  failureLimit: optional(integer('Failed intervals tolerated; one more aborts (default 0).', { minimum: 0, maximum: 100 })),
  minRequests: optional(
    integer('Fewer candidate requests in an interval make it inconclusive, not failed (default 20).', { minimum: 1, maximum: 1000000 }),
  ),
  successRate: optional(fraction("Candidate's least share of non-5xx answers.")),
  maxLatencyRatio: optional(
    number('Largest candidate p99 / stable p99 allowed (the stable is the version losing weight).', { minimum: 1, maximum: 1000 }),
  ),
  shadow: optional(shadow),
});

/** spec.rollout. */
export const rollout = object(
  'Progressive delivery: when the version weights change, walk the effective weights there step by step, gated by analysis. Without it, new weights apply at once.',
  {
    steps: required(
      list(step, "Steps run in order when the spec's weights change; after the last one the spec's weights apply.", {
        minItems: 1,
        maxItems: 32,
        listType: 'atomic',
        rules: [
          {
            rule: 'self.filter(s, has(s.setWeight)).map(s, s.setWeight).isSorted()',
            message: "rollout.steps: each setWeight must be at least the one before it (the candidate's share only rises)",
          },
        ],
      }),
    ),
    analysis: optional(analysis),
  },
);

export const ROLLOUT_PHASES = ['Shadowing', 'Progressing', 'Paused', 'Succeeded', 'Aborted'] as const;

const weight = object("One version's percent of live traffic.", {
  name: required(string('The version.', { pattern: DNS_LABEL, maxLength: 63 })),
  weight: required(integer('Percent of live traffic.', { minimum: 0, maximum: 100 })),
});
const weights = (what: string) => list(weight, what, { maxItems: 8, listType: 'map', mapKeys: ['name'] });

const analysisResult = object('The last interval the gates evaluated, with its figures.', {
  gate: required(enumeration(['Shadow', 'Live'], "Shadow compares mirrored outputs; Live measures the candidate's live traffic.")),
  verdict: required(enumeration(['Passed', 'Failed', 'Inconclusive'], "The interval's outcome.")),
  requests: required(integer('Candidate requests (or compared copies) in the interval.', { format: 'int64', minimum: 0 })),
  successRate: optional(fraction('Candidate share of non-5xx answers.')),
  p99Seconds: optional(number('Candidate p99 latency.', { minimum: 0 })),
  stableP99Seconds: optional(number('Stable p99 latency.', { minimum: 0 })),
  agreement: optional(fraction("Share of compared copies whose outputs matched the stable's.")),
  maxAbsDifference: optional(number('Largest absolute difference seen between compared outputs.', { minimum: 0 })),
  message: required(string('The figures in words.', { maxLength: 1024 })),
});

/** status.rollout. */
export const rolloutStatus = object(
  "Where the rollout stands: the operator walks the effective weights toward the spec's and records them here.",
  {
    candidate: required(string('The version whose weight rises.', { maxLength: 63 })),
    stable: required(string('The version whose weight falls.', { maxLength: 63 })),
    phase: required(enumeration(ROLLOUT_PHASES, 'Shadowing, Progressing, Paused, Succeeded or Aborted.')),
    step: required(integer('Index of the current step (the number of steps once they are all done).', { minimum: 0, maximum: 32 })),
    target: required(string('The spec weights this rollout walks toward, e.g. v1=0,v2=100.', { maxLength: 1024 })),
    generation: required(integer('The metadata.generation the rollout was started (or aborted) for.', { format: 'int64', minimum: 0 })),
    weights: required(weights('The effective weights: what the router applies now.')),
    origin: required(weights('The effective weights before the rollout; an abort restores them.')),
    stepStartedAt: optional(string('When the current step (or the shadow phase) began.', { format: 'date-time' })),
    analyzedAt: optional(string('When the last analysis interval ended (the next one runs from there).', { format: 'date-time' })),
    failedIntervals: required(integer('Failed analysis intervals so far.', { minimum: 0 })),
    passedIntervals: optional(
      integer('Passed analysis intervals in the current step (or shadow phase); a gated pause ends only after one.', { minimum: 0 }),
    ),
    candidateRequests: required(integer('Live requests the candidate has answered during this rollout.', { format: 'int64', minimum: 0 })),
    totalRequests: required(integer('Live requests of all versions during this rollout.', { format: 'int64', minimum: 0 })),
    analysis: optional(analysisResult),
    message: required(string('What the rollout is doing or why it ended.', { maxLength: 4096 })),
  },
);
