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
} from '../../src-main/api/types/alerts';
export type { ApplicationHost, ApplicationsReport, ApplicationUsage } from '../../src-main/api/types/applications';
export type { CaptureSession, CaptureSource, CaptureStatus, PrivilegeStatus } from '../../src-main/api/types/capture';
export type { ExportProgress, ExportRequest, ExportSummary } from '../../src-main/api/types/export';
export type {
  FlowApplication,
  FlowDelta,
  FlowCursor,
  FlowDetails,
  FlowFilter,
  FlowPage,
  FlowQuery,
  FlowSortKey,
  FlowState,
  FlowSummary,
  NameSource,
  RatePoint,
} from '../../src-main/api/types/flows';
export type { GeoBreakdown, GeoInfo } from '../../src-main/api/types/geo';
export type { InterfaceInfo } from '../../src-main/api/types/interfaces';
export type { ProbeStatus } from '../../src-main/api/types/probes';
export type { ValidationIssue, ApiError, ApiResult } from '../../src-main/api/types/results';
export type { HostRate, FlowRate, InterfaceSecond, RollupTick } from '../../src-main/api/types/rollups';
export type { Settings, SettingsInfo, SettingsPatch } from '../../src-main/api/types/settings';
export type { Stats } from '../../src-main/api/types/stats';
export type { ByteCount, FlowProto } from '../../src-main/api/types/traffic';
export type { WebSectionWindow, WebSections } from '../../src-main/api/types/web-sections';
export type {
  EventChannel,
  EventPayload,
  NetmonApi,
  RequestChannel,
  RequestParams,
  RequestResult,
} from '../../src-main/api/contract';
export type { WsClientMessage, WsServerMessage } from '../../src-main/api/ws-protocol';

/** Runtime list the filter bar offers (the contract exports types only to the renderer). */
export { FLOW_PROTOCOLS as PROTOCOLS } from '../../src-shared/protocols';
