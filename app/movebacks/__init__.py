"""调整申请: a branch's 调整 into a sealed stage (R32), decided by the county (bpmn/moveback.bpmn)."""
