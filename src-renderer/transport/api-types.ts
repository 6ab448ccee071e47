/** The renderer's single door to main's API contract: types only, so no main-process code reaches the bundle. */
export type {
  AlertChannel,
  AlertChannelStatus,
  AlertEvent,
  AlertRule,
  AlertRuleInput,
  AlertRuleState,
  AlertScope,
  TalkerFlow,
  TalkerHost,
  ValidationIssue,
  ApiError,
  ApiResult,
  ByteCount,
  CaptureSession,
  CaptureSource,
  CaptureStatus,
  ExportProgress,
  ExportRequest,
  ExportSummary,
  FlowDelta,
  FlowCursor,
  FlowDetails,
  FlowFilter,
  FlowPage,
  FlowProto,
  FlowQuery,
  FlowSortKey,
  FlowState,
  FlowSummary,
  HostRate,
  FlowRate,
  InterfaceInfo,
  InterfaceSecond,
  PrivilegeStatus,
  RatePoint,
  RollupTick,
  Stats,
} from '../../src-main/api/types';
export type {
  EventChannel,
  EventPayload,
  NetmonApi,
  RequestChannel,
  RequestParams,
  RequestResult,
} from '../../src-main/api/contract';
export type { WsClientMessage, WsServerMessage } from '../../src-main/api/ws-protocol';

import type { FlowProto } from '../../src-main/api/types';

/** Runtime list the filter bar offers (the contract exports types only to the renderer). */
export const PROTOCOLS: readonly FlowProto[] = ['tcp', 'udp', 'icmp', 'icmpv6', 'other'];
