"""Code lists of DOMAIN.md, spelled exactly as the published language uses them."""

from enum import StrEnum


class OrganisationKind(StrEnum):
    WELLBEING_SERVICES = "wellbeing_services"
    EMPLOYMENT_SERVICES = "employment_services"
    KELA = "kela"
    MULTISECTORAL_SERVICE = "multisectoral_service"
    MUNICIPALITY = "municipality"
    NGO = "ngo"
    EMPLOYER = "employer"
    EDUCATION = "education"
    OCCUPATIONAL_HEALTH = "occupational_health"
    SPECIALISED_CARE = "specialised_care"
    PRIVATE_PROVIDER = "private_provider"
    STUDENT_HEALTH = "student_health"
    IMMIGRANT_SERVICES = "immigrant_services"


class ReferringOrgKind(StrEnum):
    """Who made a referral: an organisation kind, or the client themselves."""

    WELLBEING_SERVICES = "wellbeing_services"
    EMPLOYMENT_SERVICES = "employment_services"
    KELA = "kela"
    MULTISECTORAL_SERVICE = "multisectoral_service"
    MUNICIPALITY = "municipality"
    NGO = "ngo"
    EMPLOYER = "employer"
    EDUCATION = "education"
    OCCUPATIONAL_HEALTH = "occupational_health"
    SPECIALISED_CARE = "specialised_care"
    PRIVATE_PROVIDER = "private_provider"
    STUDENT_HEALTH = "student_health"
    IMMIGRANT_SERVICES = "immigrant_services"
    CLIENT_SELF = "client_self"


class ServiceKind(StrEnum):
    WORK_ABILITY_ASSESSMENT = "work_ability_assessment"
    WORK_ABILITY_COORDINATION = "work_ability_coordination"
    HEALTH_CHECK = "health_check"
    PHYSICAL_FUNCTION_MAPPING = "physical_function_mapping"
    JOB_COACHING = "job_coaching"
    SOCIAL_REHABILITATION = "social_rehabilitation"
    REHABILITATIVE_WORK_ACTIVITY = "rehabilitative_work_activity"
    EXPERIENCE_EXPERT_SUPPORT = "experience_expert_support"
    GROUP_ACTIVITY = "group_activity"
    EMPLOYMENT_SERVICE = "employment_service"
    KELA_VOCATIONAL_REHABILITATION = "kela_vocational_rehabilitation"
    KELA_MEDICAL_REHABILITATION = "kela_medical_rehabilitation"
    REHABILITATION_PSYCHOTHERAPY = "rehabilitation_psychotherapy"
    MENTAL_HEALTH_SUBSTANCE_SERVICES = "mental_health_substance_services"
    EDUCATION = "education"
    DEBT_AND_HOUSING_ADVICE = "debt_and_housing_advice"


class ReferralReason(StrEnum):
    SUSPECTED_REDUCED_WORK_ABILITY = "suspected_reduced_work_ability"
    LONG_TERM_UNEMPLOYMENT = "long_term_unemployment"
    PHYSICAL_HEALTH = "physical_health"
    MENTAL_HEALTH = "mental_health"
    SUBSTANCE_USE = "substance_use"
    DISABILITY = "disability"
    NEURODEVELOPMENTAL = "neurodevelopmental"
    IMMIGRANT_INTEGRATION = "immigrant_integration"
    BENEFIT_CLARIFICATION = "benefit_clarification"
    UNCLEAR_SERVICE_NEED = "unclear_service_need"
    OTHER = "other"


class Triage(StrEnum):
    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"


class DeclineReason(StrEnum):
    NOT_TARGET_GROUP = "not_target_group"
    NO_CAPACITY = "no_capacity"
    CLIENT_DECLINED = "client_declined"
    DUPLICATE = "duplicate"
    REDIRECTED = "redirected"
    OTHER = "other"


class AssessmentKind(StrEnum):
    MULTIPROFESSIONAL = "multiprofessional"
    PHYSIO_BROAD = "physio_broad"
    PHYSIO_NARROW = "physio_narrow"
    HEALTH_CHECK = "health_check"
    DOCTOR_STATEMENT = "doctor_statement"
    PSYCHOLOGIST = "psychologist"
    OCCUPATIONAL_THERAPY = "occupational_therapy"
    WORK_TRIAL_ASSESSMENT = "work_trial_assessment"


class AssessmentCancelReason(StrEnum):
    OTHER = "other"
    CLIENT_DECLINED = "client_declined"
    DUPLICATE = "duplicate"


class WorkAbilityConclusion(StrEnum):
    ABLE_TO_WORK = "able_to_work"
    PARTIALLY_ABLE = "partially_able"
    UNABLE_LONG_TERM = "unable_long_term"
    NEEDS_FURTHER_ASSESSMENT = "needs_further_assessment"


class BenefitRecommendation(StrEnum):
    NONE = "none"
    SICKNESS_ALLOWANCE = "sickness_allowance"
    REHABILITATION_ALLOWANCE = "rehabilitation_allowance"
    DISABILITY_PENSION = "disability_pension"
    VOCATIONAL_REHABILITATION = "vocational_rehabilitation"


class MeasurementPhase(StrEnum):
    BASELINE = "baseline"
    INTERIM = "interim"
    END = "end"
    FOLLOW_UP = "follow_up"


class PlacementKind(StrEnum):
    OPEN_MARKET_JOB = "open_market_job"
    PAY_SUBSIDISED_JOB = "pay_subsidised_job"
    WORK_TRIAL = "work_trial"
    APPRENTICESHIP = "apprenticeship"
    EDUCATION = "education"
    SUPPORTED_WORK = "supported_work"


class PlacementEndReason(StrEnum):
    ENDED_AS_AGREED = "ended_as_agreed"
    EMPLOYER_ENDED = "employer_ended"
    CLIENT_ENDED = "client_ended"
    CONVERTED_TO_PERMANENT = "converted_to_permanent"
    OTHER = "other"


class EmployerContactPurpose(StrEnum):
    JOB_SEARCH = "job_search"
    JOB_TAILORING = "job_tailoring"
    EMPLOYER_SUPPORT = "employer_support"
    INFO_SESSION = "info_session"


class FollowAlongMode(StrEnum):
    WORKPLACE_VISIT = "workplace_visit"
    PHONE = "phone"
    REMOTE = "remote"
    MEETING = "meeting"


class ExitDestination(StrEnum):
    EMPLOYMENT = "employment"
    EDUCATION = "education"
    SOCIAL_REHABILITATION = "social_rehabilitation"
    REHABILITATIVE_WORK_ACTIVITY = "rehabilitative_work_activity"
    MEDICAL_REHABILITATION = "medical_rehabilitation"
    EMPLOYMENT_SERVICES = "employment_services"
    JOB_COACHING = "job_coaching"
    VOCATIONAL_REHABILITATION = "vocational_rehabilitation"
    SICK_LEAVE = "sick_leave"
    PENSION = "pension"
    MOVED_AWAY = "moved_away"
    CLIENT_DECLINED = "client_declined"
    OTHER = "other"


class LabourMarketStatus(StrEnum):
    UNEMPLOYED = "unemployed"
    IN_EMPLOYMENT_SERVICES = "in_employment_services"
    OPEN_MARKET_JOB = "open_market_job"
    PAY_SUBSIDISED_JOB = "pay_subsidised_job"
    SUPPORTED_WORK = "supported_work"
    EDUCATION = "education"
    REHABILITATION = "rehabilitation"
    SICK_LEAVE = "sick_leave"
    PENSION = "pension"
    OUTSIDE_LABOUR_FORCE = "outside_labour_force"
    OTHER = "other"


class Role(StrEnum):
    SOCIAL_WORKER = "social_worker"
    SOCIAL_COUNSELLOR = "social_counsellor"
    NURSE = "nurse"
    PUBLIC_HEALTH_NURSE = "public_health_nurse"
    PHYSIOTHERAPIST = "physiotherapist"
    OCCUPATIONAL_THERAPIST = "occupational_therapist"
    DOCTOR = "doctor"
    PSYCHOLOGIST = "psychologist"
    PSYCHIATRIC_NURSE = "psychiatric_nurse"
    JOB_COACH = "job_coach"
    WORK_ABILITY_COORDINATOR = "work_ability_coordinator"
    EMPLOYMENT_EXPERT = "employment_expert"
    KELA_EXPERT = "kela_expert"
    EXPERIENCE_EXPERT = "experience_expert"
    TEAM_LEAD = "team_lead"
    ANALYST = "analyst"
    RESEARCHER = "researcher"
    ADMIN = "admin"
    DATA_PROTECTION_OFFICER = "data_protection_officer"
    INTEGRATION = "integration"


class ConsultationTopic(StrEnum):
    WORK_ABILITY_ASSESSMENT = "work_ability_assessment"
    SERVICE_GUIDANCE = "service_guidance"
    BENEFITS = "benefits"
    PHYSICAL_FUNCTION = "physical_function"
    MENTAL_HEALTH = "mental_health"
    OTHER = "other"


class ConsentScope(StrEnum):
    DATA_SHARING = "data_sharing"
    RESEARCH = "research"


class Sex(StrEnum):
    FEMALE = "female"
    MALE = "male"


class RegionCode(StrEnum):
    KESKI_UUSIMAA = "keski-uusimaa"
    VANTAA_KERAVA = "vantaa-kerava"
    KYMENLAAKSO = "kymenlaakso"
    PIRKANMAA = "pirkanmaa"
    PAIJAT_HAME = "paijat-hame"


class KykyviisariDomain(StrEnum):
    """Keys of `domain_scores` in `SelfAssessmentRecorded` (DOMAIN.md, Instruments)."""

    WORK_ABILITY = "work_ability"
    FUNCTIONING = "functioning"
    MENTAL_WELLBEING = "mental_wellbeing"
    SOCIAL_PARTICIPATION = "social_participation"
    PHYSICAL_FUNCTIONING = "physical_functioning"
    COMPETENCE = "competence"
    EVERYDAY_LIFE = "everyday_life"


class Language(StrEnum):
    """Languages of labels, exports and the dashboard (v2)."""

    FI = "fi"
    SV = "sv"
    EN = "en"
