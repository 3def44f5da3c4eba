/**
 * Built-in pack `trail-tampering`: someone switching off or blinding the audit trail —
 * CloudTrail trails and event data stores, and the other logs an investigation leans on (VPC
 * flow logs, Route 53 Resolver query logs, AWS Config recording). Written for this project.
 */
export const TRAIL_TAMPERING = `title: CloudTrail logging stopped
id: 1ffdd690-976e-4893-858e-6c82bc64caf1
status: stable
description: A trail stopped recording events (StopLogging). Nothing the trail would have recorded is kept until logging is started again.
references:
    - https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_StopLogging.html
tags:
    - attack.defense-evasion
    - attack.t1562.008
logsource:
    product: aws
    service: cloudtrail
detection:
    selection:
        eventSource: cloudtrail.amazonaws.com
        eventName: StopLogging
    condition: selection
falsepositives:
    - Planned maintenance of the trail
level: high
---
title: CloudTrail trail deleted
id: 88f19c82-1c84-4ab7-b728-4a8e7a32716f
status: stable
description: A trail was deleted (DeleteTrail); its logging ends and its configuration is gone.
references:
    - https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_DeleteTrail.html
tags:
    - attack.defense-evasion
    - attack.t1562.008
logsource:
    product: aws
    service: cloudtrail
detection:
    selection:
        eventSource: cloudtrail.amazonaws.com
        eventName: DeleteTrail
    condition: selection
falsepositives:
    - Decommissioning a trail that another trail replaces
level: high
---
title: CloudTrail trail settings changed
id: 073482f3-72d4-4bfa-a88a-fa295edd99c8
status: stable
description: A trail's destination or scope changed (UpdateTrail) - for example a new S3 bucket, a single region, or no global service events.
references:
    - https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_UpdateTrail.html
tags:
    - attack.defense-evasion
    - attack.t1562.008
logsource:
    product: aws
    service: cloudtrail
detection:
    selection:
        eventSource: cloudtrail.amazonaws.com
        eventName: UpdateTrail
    condition: selection
falsepositives:
    - Infrastructure-as-code deployments of the trail
level: medium
---
title: CloudTrail event or Insights selectors changed
id: 4c847edd-6e9f-48dc-b017-9e6d97b23705
status: stable
description: The events a trail records were changed (PutEventSelectors, PutInsightSelectors); selectors can silently exclude management or data events.
references:
    - https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_PutEventSelectors.html
    - https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_PutInsightSelectors.html
tags:
    - attack.defense-evasion
    - attack.t1562.008
logsource:
    product: aws
    service: cloudtrail
detection:
    selection:
        eventSource: cloudtrail.amazonaws.com
        eventName:
            - PutEventSelectors
            - PutInsightSelectors
    condition: selection
falsepositives:
    - Tuning data event logging to control cost
level: medium
---
title: CloudTrail Lake event data store stopped or deleted
id: 93977922-3516-4a33-947a-ed0add23c9dc
status: experimental
description: A CloudTrail Lake event data store stopped ingesting events or was deleted.
references:
    - https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_StopEventDataStoreIngestion.html
    - https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_DeleteEventDataStore.html
tags:
    - attack.defense-evasion
    - attack.t1562.008
logsource:
    product: aws
    service: cloudtrail
detection:
    selection:
        eventSource: cloudtrail.amazonaws.com
        eventName:
            - StopEventDataStoreIngestion
            - DeleteEventDataStore
    condition: selection
falsepositives:
    - Retiring an event data store
level: high
---
title: VPC flow logs deleted
id: 02623b66-de65-4c3d-a3dc-1adc81d7cfac
status: stable
description: VPC flow logs were deleted (DeleteFlowLogs); network traffic of the VPC, subnet or interface is no longer recorded.
references:
    - https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteFlowLogs.html
tags:
    - attack.defense-evasion
    - attack.t1562.008
logsource:
    product: aws
    service: cloudtrail
detection:
    selection:
        eventSource: ec2.amazonaws.com
        eventName: DeleteFlowLogs
    condition: selection
falsepositives:
    - Removing the flow logs of a VPC being deleted
level: medium
---
title: Route 53 Resolver query logging removed
id: 9481e99d-3cfd-484e-afd2-b28aa952e5b9
status: stable
description: A Resolver query logging configuration was deleted or detached from a VPC; DNS queries are no longer logged.
references:
    - https://docs.aws.amazon.com/Route53/latest/APIReference/API_route53resolver_DeleteResolverQueryLogConfig.html
    - https://docs.aws.amazon.com/Route53/latest/APIReference/API_route53resolver_DisassociateResolverQueryLogConfig.html
tags:
    - attack.defense-evasion
    - attack.t1562.008
logsource:
    product: aws
    service: cloudtrail
detection:
    selection:
        eventSource: route53resolver.amazonaws.com
        eventName:
            - DeleteResolverQueryLogConfig
            - DisassociateResolverQueryLogConfig
    condition: selection
falsepositives:
    - Replacing one query logging configuration with another
level: medium
---
title: AWS Config recording stopped or deleted
id: 9b37ffb8-bbee-42c4-ad25-a8216247e428
status: stable
description: AWS Config stopped recording resource changes, or its recorder or delivery channel was deleted.
references:
    - https://docs.aws.amazon.com/config/latest/APIReference/API_StopConfigurationRecorder.html
    - https://docs.aws.amazon.com/config/latest/APIReference/API_DeleteConfigurationRecorder.html
    - https://docs.aws.amazon.com/config/latest/APIReference/API_DeleteDeliveryChannel.html
tags:
    - attack.defense-evasion
    - attack.t1562.008
logsource:
    product: aws
    service: cloudtrail
detection:
    selection:
        eventSource: config.amazonaws.com
        eventName:
            - StopConfigurationRecorder
            - DeleteConfigurationRecorder
            - DeleteDeliveryChannel
    condition: selection
falsepositives:
    - Planned changes to AWS Config
level: high
`;
