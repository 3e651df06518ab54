/**
 * The methods the engine runs (their update steps, TF.js), by the schema's method name (types.ts says what a method
 * is). Their TF-free declarations are in catalog.ts, one line each, as here.
 */
import type { Method as MethodName } from '../../config/schema';
import { bestOfK } from './best-of-k';
import { domainRaft } from './domain-raft';
import { grpo } from './grpo';
import { onlineDpo } from './online-dpo';
import { ppo } from './ppo';
import { raft } from './raft';
import { raftpp } from './raftpp';
import { reinforceRej } from './reinforce-rej';
import { rloo } from './rloo';
import { sft } from './sft';
import type { Method } from './types';
import { uft } from './uft';

export const METHOD_MODULES: Readonly<Record<MethodName, Method>> = {
  raft,
  uft,
  sft,
  'best-of-k': bestOfK,
  grpo,
  rloo,
  'online-dpo': onlineDpo,
  ppo,
  'domain-raft': domainRaft,
  raftpp,
  'reinforce-rej': reinforceRej,
};

export type { CycleContext, Method, MethodUpdate, Scored, TrainStats } from './types';
