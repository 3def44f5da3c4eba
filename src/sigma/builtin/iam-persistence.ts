/**
 * Built-in pack `iam-persistence`: new ways back into the account — users, access keys, console
 * passwords, policies, trust policies, Roles Anywhere trust anchors, federation tokens. Only
 * successful calls (no errorCode) count. Written for this project.
 */
export const IAM_PERSISTENCE = `title: IAM user created
id: d44bcdcf-3c46-4fa2-84be-014f258446d6
status: stable
description: A new IAM user was created (CreateUser).
references:
    - https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateUser.html
tags:
    - attack.persistence
    - attack.t1136.003
logsource:
    product: aws
    service: cloudtrail
detection:
    selection:
        eventSource: iam.amazonaws.com
        eventName: CreateUser
        errorCode: null
    condition: selection
falsepositives:
    - Onboarding done by hand rather than through an identity provider
level: medium
---
title: IAM access key created for another user
id: 56e242b8-4526-48ec-952f-810df4f07676
status: stable
description: An access key was created for a user other than the caller (CreateAccessKey whose userName is not the caller's own name), a common way to plant long-lived credentials.
references:
    - https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateAccessKey.html
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
        requestParameters.userName|exists: true
        errorCode: null
    filter_own_key:
        userIdentity.arn|fieldref|endswith: requestParameters.userName
    condition: selection and not filter_own_key
falsepositives:
    - Administrators issuing keys to service users
level: high
---
title: Console password created or changed for an IAM user
id: 189d022c-4bf1-45de-b47c-860dd3770ba0
status: stable
description: A console login profile was created or its password changed (CreateLoginProfile, UpdateLoginProfile), giving console access to the user.
references:
    - https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateLoginProfile.html
    - https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateLoginProfile.html
tags:
    - attack.persistence
    - attack.t1098
logsource:
    product: aws
    service: cloudtrail
detection:
    selection:
        eventSource: iam.amazonaws.com
        eventName:
            - CreateLoginProfile
            - UpdateLoginProfile
        errorCode: null
    condition: selection
falsepositives:
    - Password resets by administrators
level: medium
---
title: AdministratorAccess policy attached
id: b33fcd02-bc1a-41ab-8dc3-f1c0bd25a984
status: stable
description: The AWS managed AdministratorAccess policy was attached to a user, group or role.
references:
    - https://docs.aws.amazon.com/IAM/latest/APIReference/API_AttachUserPolicy.html
    - https://docs.aws.amazon.com/IAM/latest/APIReference/API_AttachRolePolicy.html
    - https://docs.aws.amazon.com/IAM/latest/APIReference/API_AttachGroupPolicy.html
    - https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AdministratorAccess.html
tags:
    - attack.privilege-escalation
    - attack.t1098.003
logsource:
    product: aws
    service: cloudtrail
detection:
    selection:
        eventSource: iam.amazonaws.com
        eventName:
            - AttachUserPolicy
            - AttachRolePolicy
            - AttachGroupPolicy
        requestParameters.policyArn|endswith: ':policy/AdministratorAccess'
        errorCode: null
    condition: selection
falsepositives:
    - Break-glass roles set up on purpose
level: high
---
title: IAM role trust policy changed
id: a67b0b95-6614-496c-bf86-e792b9958121
status: stable
description: Who may assume a role changed (UpdateAssumeRolePolicy); an outside account or principal may have been let in.
references:
    - https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateAssumeRolePolicy.html
tags:
    - attack.persistence
    - attack.t1098
logsource:
    product: aws
    service: cloudtrail
detection:
    selection:
        eventSource: iam.amazonaws.com
        eventName: UpdateAssumeRolePolicy
        errorCode: null
    condition: selection
falsepositives:
    - Infrastructure-as-code changes to roles
level: medium
---
title: IAM Roles Anywhere trust anchor or profile created
id: 449acff4-3f3e-453d-bfe1-f91a4c536e79
status: experimental
description: A Roles Anywhere trust anchor or profile was created; anyone holding a certificate from the anchored authority can then get role credentials.
references:
    - https://docs.aws.amazon.com/rolesanywhere/latest/APIReference/API_CreateTrustAnchor.html
    - https://docs.aws.amazon.com/rolesanywhere/latest/APIReference/API_CreateProfile.html
tags:
    - attack.persistence
    - attack.t1098
logsource:
    product: aws
    service: cloudtrail
detection:
    selection:
        eventSource: rolesanywhere.amazonaws.com
        eventName:
            - CreateTrustAnchor
            - CreateProfile
        errorCode: null
    condition: selection
falsepositives:
    - Setting up Roles Anywhere for on-premises workloads
level: high
---
title: STS federation token issued
id: 008c8e4b-971f-433b-a33b-d4ce22a100ca
status: experimental
description: An IAM user obtained federated user credentials (GetFederationToken); they outlive the user's access key being disabled.
references:
    - https://docs.aws.amazon.com/STS/latest/APIReference/API_GetFederationToken.html
tags:
    - attack.persistence
    - attack.t1550.001
logsource:
    product: aws
    service: cloudtrail
detection:
    selection:
        eventSource: sts.amazonaws.com
        eventName: GetFederationToken
        errorCode: null
    condition: selection
falsepositives:
    - Applications that broker federated access
level: medium
`;
