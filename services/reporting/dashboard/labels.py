"""Labels of the dashboard in Finnish and English (the sign-in also in Swedish): its own words,
code values and definitions.

Rows keep the codes of the indicator API; the page translates them with these tables, so the
numbers the page shows are the API's numbers and only the words change with the language.
"""

from __future__ import annotations

from typing import Any

from contracts.organisations import OrganisationRegistry

# The sign-in's words, in the three languages of the v2 dashboard (API.md, reporting).
SIGN_IN: dict[str, dict[str, str]] = {
    "sign_in_title": {"fi": "Kirjautuminen", "sv": "Inloggning", "en": "Sign in"},
    "sign_in_help": {
        "fi": "Luvut näytetään kirjautuneille. Liitä tähän tunnisteesi (bearer token); "
        "se säilyy vain tämän välilehden istunnossa. Kehitysympäristössä komento polku up "
        "tulostaa valmiin kirjautumislinkin.",
        "sv": "Siffrorna visas för inloggade. Klistra in din token (bearer token) här; den "
        "sparas bara under den här flikens session. I utvecklingsmiljön skriver kommandot "
        "polku up ut en färdig inloggningslänk.",
        "en": "The numbers are shown to signed-in users. Paste your bearer token here; it is "
        "kept for this tab's session only. In development the polku up command prints a "
        "ready sign-in link.",
    },
    "token": {"fi": "Tunniste (token)", "sv": "Token", "en": "Token"},
    "sign_in": {"fi": "Kirjaudu", "sv": "Logga in", "en": "Sign in"},
    "sign_out": {"fi": "Kirjaudu ulos", "sv": "Logga ut", "en": "Sign out"},
    "signed_in": {"fi": "Kirjautunut: {who}", "sv": "Inloggad: {who}", "en": "Signed in: {who}"},
    "signed_in_proxy": {
        "fi": "Kirjautunut organisaation kirjautumispalvelun kautta",
        "sv": "Inloggad via organisationens inloggningstjänst",
        "en": "Signed in through your organisation's sign-in service",
    },
    "sign_in_needed": {
        "fi": "Kirjaudu sisään nähdäksesi luvut.",
        "sv": "Logga in för att se siffrorna.",
        "en": "Sign in to see the numbers.",
    },
    "token_rejected": {
        "fi": "Tunnistetta ei hyväksytty (vanhentunut tai virheellinen). Kirjaudu uudelleen.",
        "sv": "Token godtogs inte (utgången eller ogiltig). Logga in igen.",
        "en": "The token was not accepted (expired or invalid). Sign in again.",
    },
    "token_malformed": {
        "fi": "Tämä ei ole tunniste: odotettiin muotoa xxxxx.yyyyy.zzzzz.",
        "sv": "Det här är ingen token: formen xxxxx.yyyyy.zzzzz väntades.",
        "en": "This is not a token: the form xxxxx.yyyyy.zzzzz was expected.",
    },
    "signed_out": {
        "fi": "Kirjauduit ulos.", "sv": "Du har loggat ut.", "en": "You have signed out."},
    "download_failed": {
        "fi": "Lataus epäonnistui", "sv": "Nedladdningen misslyckades",
        "en": "The download failed"},
}

UI: dict[str, dict[str, str]] = {
    "title": {"fi": "Polku – tilannekuva", "en": "Polku – dashboard"},
    "subtitle": {
        "fi": "Työkyvyn tuen keskeiset mittarit tapahtumalokista laskettuina",
        "en": "The main work ability support indicators, computed from the event log",
    },
    "skip": {"fi": "Siirry kaavioihin", "en": "Skip to the charts"},
    "language": {"fi": "Kieli", "en": "Language"},
    "filters": {"fi": "Rajaukset", "en": "Filters"},
    "region": {"fi": "Alue", "en": "Region"},
    "organisation": {"fi": "Organisaatio", "en": "Organisation"},
    "all_regions": {"fi": "Kaikki alueet", "en": "All regions"},
    "all_organisations": {"fi": "Kaikki organisaatiot", "en": "All organisations"},
    "period": {"fi": "Ajanjakso", "en": "Period"},
    "from": {"fi": "Alkaen", "en": "From"},
    "to": {"fi": "Päättyen", "en": "To"},
    "apply": {"fi": "Päivitä", "en": "Update"},
    "period_order": {
        "fi": "Loppupäivä ei voi olla ennen alkupäivää.",
        "en": "The end date cannot be before the start date.",
    },
    "last_12_months": {"fi": "Viimeiset 12 kk", "en": "Last 12 months"},
    "year": {"fi": "Vuosi", "en": "Year"},
    "definition": {"fi": "Määritelmä", "en": "Definition"},
    "n": {"fi": "n", "en": "n"},
    "n_sum": {"fi": "n (salaamattomien rivien summa)", "en": "n (sum of unsuppressed rows)"},
    "target": {"fi": "Tavoite", "en": "Target"},
    "download_csv": {"fi": "Lataa CSV", "en": "Download CSV"},
    "show_table": {"fi": "Näytä taulukkona", "en": "Show as a table"},
    "suppressed": {"fi": "salattu (n < {t})", "en": "suppressed (n < {t})"},
    "suppressed_note": {
        "fi": "Pienet solut (0 < n < {t}) on salattu kuten rajapinnassa.",
        "en": "Small cells (0 < n < {t}) are suppressed as in the API.",
    },
    "no_data": {"fi": "Ei tietoja valitulla rajauksella.", "en": "No data for this selection."},
    "loading": {"fi": "Ladataan…", "en": "Loading…"},
    "error": {"fi": "Tietojen haku epäonnistui", "en": "Could not load the data"},
    "org_filter_na": {
        "fi": "Organisaatiorajaus ei koske tätä mittaria.",
        "en": "The organisation filter does not apply to this indicator.",
    },
    "as_of": {"fi": "Tilanne", "en": "As of"},
    "unknown": {"fi": "(ei tietoa)", "en": "(unknown)"},
    "value": {"fi": "Arvo", "en": "Value"},
    "median_days": {"fi": "Mediaani (pv)", "en": "Median (days)"},
    "p90_days": {"fi": "90. persentiili (pv)", "en": "90th percentile (days)"},
    "mean_days": {"fi": "Keskiarvo (pv)", "en": "Mean (days)"},
    "referrals": {"fi": "Ohjaukset", "en": "Referrals"},
    "clients": {"fi": "Asiakkaat", "en": "Clients"},
    "cases": {"fi": "Asiakkuudet", "en": "Cases"},
    "share_of_closed": {"fi": "Osuus päättyneistä", "en": "Share of closed"},
    "mean_change": {"fi": "Keskimääräinen muutos (pistettä)", "en": "Mean change (points)"},
    "improved_share": {"fi": "Parantuneet", "en": "Improved"},
    "worsened_share": {"fi": "Heikentyneet", "en": "Worsened"},
    "employment_rate": {"fi": "Työllistyneet", "en": "Employed"},
    "any_placement_share": {"fi": "Mikä tahansa jakso", "en": "Any placement"},
    "nps": {"fi": "NPS", "en": "NPS"},
    "mean_score": {"fi": "Tyytyväisyys (0–10)", "en": "Satisfaction (0–10)"},
    "waiting": {"fi": "Odottavat ohjaukset", "en": "Waiting referrals"},
    "median_wait_days": {"fi": "Odotuksen mediaani (pv)", "en": "Median wait (days)"},
    "coverage": {"fi": "Kattavuus", "en": "Coverage"},
    "mean": {"fi": "Keskiarvo", "en": "Mean"},
    "share": {"fi": "Osuus", "en": "Share"},
    "helped_share": {"fi": "Koki saaneensa apua", "en": "Felt helped"},
    "felt_heard_share": {"fi": "Koki tulleensa kuulluksi", "en": "Felt heard"},
    "max_wait_days": {"fi": "Pisin odotus (pv)", "en": "Longest wait (days)"},
    "month": {"fi": "Kuukausi", "en": "Month"},
    "phase": {"fi": "Mittausvaihe", "en": "Phase"},
    "referring_org_kind": {"fi": "Ohjaaja", "en": "Referred by"},
    "exit_destination": {"fi": "Jatkopolku", "en": "Exit destination"},
    "target_service": {"fi": "Palvelu", "en": "Service"},
    **SIGN_IN,
}

# Charts whose title is not the catalogue name of their indicator.
CHART_TITLES: dict[str, dict[str, str]] = {
    "referrals_by_source": {
        "fi": "Ohjaukset ohjaajan mukaan kuukausittain",
        "en": "Referrals by source per month",
    },
    "client_experience_nps": {"fi": "Asiakaskokemus (NPS)", "en": "Client experience (NPS)"},
    "client_experience_score": {
        "fi": "Asiakastyytyväisyys (keskiarvo 0–10)",
        "en": "Client satisfaction (mean 0–10)",
    },
}

# Finnish definitions of the charted indicators (the catalogue's are English).
DEFINITIONS_FI: dict[str, str] = {
    "referrals_made": "Kaudella tehdyt ohjaukset (ReferralMade).",
    "days_to_assessment": "Päivät kunkin kaudella tehdyn ohjauksen päivästä asiakkaan "
    "ensimmäisen arvioinnin alkuun samana päivänä tai myöhemmin; mediaani ja 90. persentiili. "
    "Ohjaukset, joita ei ole seurannut arviointi, jätetään pois.",
    "active_clients": "Eri asiakkaat, joilla on avoin asiakkuus kauden viimeisenä päivänä; "
    "organisaatio on asiakkuuden vastuutaho sinä päivänä.",
    "case_duration_days": "Kaudella päättyneiden asiakkuuksien kesto (päättymispäivä − "
    "alkamispäivä): mediaani, keskiarvo ja 90. persentiili.",
    "exit_destinations": "Kaudella päättyneet asiakkuudet jatkopolun mukaan; osuus kaikista "
    "saman rivin muilla ryhmillä päättyneistä.",
    "work_ability_change": "Työkykypistemäärän keskimääräinen muutos asiakasta ja myöhempää "
    "mittausvaihetta (loppu, seuranta) kohden: vaiheen viimeisin kaudella mitattu pistemäärä "
    "miinus viimeisin sitä edeltänyt alkumittaus; parantuneet (≥ +1) ja heikentyneet (≤ −1).",
    "coaching_employment_rate": "Kaudella työhönvalmennuksessa olleista asiakkaista niiden "
    "osuus, joilla alkoi avoimien markkinoiden tai palkkatuettu työ valmennuksen aikana.",
    "client_experience": "Kaudella annetun asiakaspalautteen NPS (suosittelijat 9–10 miinus "
    "arvostelijat 0–6, prosentteina vastauksista) ja arvosanojen keskiarvo; n on vastausten "
    "määrä.",
    "referral_queue": "Kauden viimeisenä päivänä odottavat ohjaukset (ei hyväksytty, hylätty "
    "eikä peruttu); odotusaika on kauden loppu − ohjauspäivä.",
    "follow_up_coverage": "Vähintään 90 päivää sitten kaudella päättyneistä asiakkuuksista "
    "niiden osuus, joilla on seurantamittaus päättymisen jälkeen.",
}

CODES: dict[str, dict[str, str]] = {
    # organisation kinds and referral sources (DOMAIN.md)
    "wellbeing_services": {"fi": "Hyvinvointialue", "en": "Wellbeing services"},
    "employment_services": {"fi": "Työllisyyspalvelut", "en": "Employment services"},
    "kela": {"fi": "Kela", "en": "Kela"},
    "multisectoral_service": {"fi": "TYP", "en": "Multisectoral service"},
    "municipality": {"fi": "Kunta", "en": "Municipality"},
    "ngo": {"fi": "Järjestö", "en": "NGO"},
    "employer": {"fi": "Työnantaja", "en": "Employer"},
    "education": {"fi": "Koulutus", "en": "Education"},
    "occupational_health": {"fi": "Työterveyshuolto", "en": "Occupational health"},
    "specialised_care": {"fi": "Erikoissairaanhoito", "en": "Specialised care"},
    "private_provider": {"fi": "Yksityinen palveluntuottaja", "en": "Private provider"},
    "student_health": {"fi": "Opiskeluterveydenhuolto", "en": "Student health"},
    "immigrant_services": {"fi": "Oske", "en": "Immigrant services"},
    "client_self": {"fi": "Asiakas itse", "en": "Client self"},
    # exit destinations
    "employment": {"fi": "Työ", "en": "Employment"},
    "social_rehabilitation": {"fi": "Sosiaalinen kuntoutus", "en": "Social rehabilitation"},
    "rehabilitative_work_activity": {
        "fi": "Kuntouttava työtoiminta", "en": "Rehabilitative work activity"},
    "medical_rehabilitation": {"fi": "Lääkinnällinen kuntoutus", "en": "Medical rehabilitation"},
    "job_coaching": {"fi": "Työhönvalmennus", "en": "Job coaching"},
    "vocational_rehabilitation": {
        "fi": "Ammatillinen kuntoutus", "en": "Vocational rehabilitation"},
    "sick_leave": {"fi": "Sairausloma", "en": "Sick leave"},
    "pension": {"fi": "Eläke", "en": "Pension"},
    "moved_away": {"fi": "Muutti pois", "en": "Moved away"},
    "client_declined": {"fi": "Asiakas kieltäytyi", "en": "Client declined"},
    "other": {"fi": "Muu", "en": "Other"},
    # services
    "work_ability_assessment": {"fi": "Työkyvyn arviointi", "en": "Work ability assessment"},
    "work_ability_coordination": {
        "fi": "Työkykykoordinointi", "en": "Work ability coordination"},
    "health_check": {"fi": "Terveystarkastus", "en": "Health check"},
    "physical_function_mapping": {
        "fi": "Fyysisen toimintakyvyn kartoitus", "en": "Physical function mapping"},
    "experience_expert_support": {
        "fi": "Kokemusasiantuntijan tuki", "en": "Experience expert support"},
    "group_activity": {"fi": "Ryhmätoiminta", "en": "Group activity"},
    "employment_service": {"fi": "Työllisyyspalvelu", "en": "Employment service"},
    "kela_vocational_rehabilitation": {
        "fi": "Kelan ammatillinen kuntoutus", "en": "Kela vocational rehabilitation"},
    "kela_medical_rehabilitation": {
        "fi": "Kelan lääkinnällinen kuntoutus", "en": "Kela medical rehabilitation"},
    "rehabilitation_psychotherapy": {
        "fi": "Kuntoutuspsykoterapia", "en": "Rehabilitation psychotherapy"},
    "mental_health_substance_services": {
        "fi": "Mielenterveys- ja päihdepalvelut", "en": "Mental health and substance services"},
    "debt_and_housing_advice": {
        "fi": "Velka- ja asumisneuvonta", "en": "Debt and housing advice"},
    # measurement phases
    "baseline": {"fi": "Alkumittaus", "en": "Baseline"},
    "interim": {"fi": "Välimittaus", "en": "Interim"},
    "end": {"fi": "Loppumittaus", "en": "End"},
    "follow_up": {"fi": "Seurantamittaus", "en": "Follow-up"},
}

REGION_NAMES: dict[str, str] = {
    "keski-uusimaa": "Keski-Uusimaa",
    "vantaa-kerava": "Vantaa–Kerava",
    "kymenlaakso": "Kymenlaakso",
    "pirkanmaa": "Pirkanmaa",
    "paijat-hame": "Päijät-Häme",
}


def region_name(region: str) -> str:
    return REGION_NAMES.get(region, region)


def page_labels(registry: OrganisationRegistry) -> dict[str, Any]:
    """Everything the page needs to label rows and controls, in both languages."""
    regions = sorted({o.region for o in registry})
    return {
        "ui": UI,
        "chart_titles": CHART_TITLES,
        "definitions_fi": DEFINITIONS_FI,
        "codes": CODES,
        "regions": [{"id": r, "name": region_name(r)} for r in regions],
        "org_names": {o.id: o.name for o in registry},
        # Employers are not teams that serve clients; they would only lengthen the list.
        "organisations": [
            {"id": o.id, "name": o.name, "region": o.region, "kind": str(o.kind)}
            for o in sorted(registry, key=lambda o: (o.region, o.name))
            if str(o.kind) != "employer"
        ],
    }
