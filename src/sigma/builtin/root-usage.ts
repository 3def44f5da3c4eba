/**
 * Built-in pack `root-usage`: the account's root user at work. AWS advises using root only for
 * the few tasks that require it, so each use deserves a look. Written for this project.
 */
export const ROOT_USAGE = `title: Root user activity
id: b435f73f-2511-4e17-b430-4460afa4774f
status: stable
description: An action made with the root user's credentials. Events AWS itself records on the account (AwsServiceEvent) are left out.
references:
    - https://docs.aws.amazon.com/IAM/latest/UserGuide/id_root-user.html
    - https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html
tags:
    - attack.privilege-escalation
    - attack.t1078.004
logsource:
    product: aws
    service: cloudtrail
detection:
    selection_root:
        userIdentity.type: Root
    filter_service_event:
        eventType: AwsServiceEvent
    condition: selection_root and not filter_service_event
falsepositives:
    - Tasks that require the root user (see AWS's list)
level: medium
---
title: Root user console sign-in
id: 88300314-765e-42e6-ab60-2461d2962b70
status: stable
description: Someone signed in (or tried to) to the AWS console as the root user.
references:
    - https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-aws-console-sign-in-events.html
tags:
    - attack.initial-access
    - attack.t1078.004
logsource:
    product: aws
    service: cloudtrail
detection:
    selection:
        eventName: ConsoleLogin
        userIdentity.type: Root
    condition: selection
falsepositives:
    - Tasks that require the root user
level: high
---
title: Root user access key created
id: d8207593-78b0-455e-b813-9b64e15b8993
status: stable
description: An access key was created with root credentials for the root user itself (no userName in the request); AWS advises that the root user have no access keys.
references:
    - https://docs.aws.amazon.com/IAM/latest/UserGuide/id_root-user_manage_add-key.html
tags:
    - attack.persistence
    - attack.t1098.001
logsource:
    product: aws
    service: cloudtrail
detection:
    selection:
        eventSource: iam.amazonaws.com
        eventName: CreateAccessKey
        userIdentity.type: Root
    filter_other_user:
        requestParameters.userName|exists: true
    condition: selection and not filter_other_user
falsepositives:
    - None expected
level: critical
---
title: Root user password or MFA changed
id: f275891f-71b4-44f7-a206-07378df33f6e
status: experimental
description: The root user's password was changed or recovered, or its MFA device changed.
references:
    - https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-aws-console-sign-in-events.html
    - https://docs.aws.amazon.com/IAM/latest/UserGuide/id_root-user_manage_mfa.html
tags:
    - attack.persistence
    - attack.t1098
logsource:
    product: aws
    service: cloudtrail
detection:
    selection_root:
        userIdentity.type: Root
    selection_change:
        eventName:
            - PasswordUpdated
            - PasswordRecoveryRequested
            - PasswordRecoveryCompleted
            - CreateVirtualMFADevice
            - EnableMFADevice
            - DeactivateMFADevice
            - DeleteVirtualMFADevice
    condition: all of selection_*
falsepositives:
    - Planned credential rotation
level: high
`;
