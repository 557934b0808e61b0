-- Argo CD health for kubeinfer InferenceServices (serving.kubeinfer.io), read the way
-- kstatus reads them, so Argo CD, Flux, Helm 4 --wait and kubectl wait agree:
--   status older than the spec (observedGeneration < generation) -> Progressing
--   Stalled=True (the operator cannot make progress: PodsForbidden, Unschedulable,
--     ImagePullFailed, ModelFetchFailed, ModelLoadFailed, ProgressDeadlineExceeded,
--     GPUUnavailable, Storage*, InvalidSpec, ApplyRejected, or a rollout aborted by its
--     analysis: RolloutAborted) -> Degraded, "<reason>: <message>"
--   Reconciling=True (rolling out, scaling, waiting for pods, a rollout shadowing,
--     progressing or paused between steps) -> Progressing
--   Ready=True -> Healthy; anything else -> Progressing
-- Written for Lua 5.1 (Argo CD's gopher-lua): no integer division, goto or utf8.
local hs = {}

local function findCondition(conditions, conditionType)
  if conditions == nil then
    return nil
  end
  for _, condition in ipairs(conditions) do
    if condition.type == conditionType then
      return condition
    end
  end
  return nil
end

local function describe(condition, fallback)
  if condition.message ~= nil and condition.message ~= "" then
    return condition.message
  end
  if condition.reason ~= nil and condition.reason ~= "" then
    return condition.reason
  end
  return fallback
end

local function health(resource)
  local status = resource.status
  if status == nil then
    return "Progressing", "Waiting for the kubeinfer operator to report status"
  end
  local generation = resource.metadata and resource.metadata.generation
  local observed = status.observedGeneration
  if generation ~= nil and (observed == nil or observed < generation) then
    return "Progressing", "Waiting for the kubeinfer operator to observe generation " .. tostring(generation)
  end
  local stalled = findCondition(status.conditions, "Stalled")
  if stalled ~= nil and stalled.status == "True" then
    -- Argo CD shows only the message: lead with the reason (PodsForbidden, ImagePullFailed, ...).
    if stalled.reason ~= nil and stalled.reason ~= "" and stalled.message ~= nil and stalled.message ~= "" then
      return "Degraded", stalled.reason .. ": " .. stalled.message
    end
    return "Degraded", describe(stalled, "Stalled")
  end
  local reconciling = findCondition(status.conditions, "Reconciling")
  if reconciling ~= nil and reconciling.status == "True" then
    return "Progressing", describe(reconciling, "Reconciling")
  end
  local ready = findCondition(status.conditions, "Ready")
  if ready == nil then
    return "Progressing", "Waiting for the Ready condition"
  end
  if ready.status == "True" then
    return "Healthy", describe(ready, "Ready")
  end
  return "Progressing", describe(ready, "Not ready")
end

hs.status, hs.message = health(obj)
return hs
