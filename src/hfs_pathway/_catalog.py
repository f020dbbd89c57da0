"""Every alert and recommendation the pathway can produce: code, severity, wording and evidence.

This is the one place where a code is spelled, its severity chosen and its evidence cited; rules
refer to entries here and only fill in the details of the case (which sign, how many days).
"""

from __future__ import annotations

from typing import NamedTuple

from ._vocabulary import Severity


class AlertKind(NamedTuple):
    code: str
    severity: Severity
    title: str
    rationale: str
    evidence: tuple[str, ...]


class RecommendationKind(NamedTuple):
    code: str
    title: str
    rationale: str
    evidence: tuple[str, ...]


_C, _W, _I = Severity.CRITICAL, Severity.WARNING, Severity.INFO

ALERTS: dict[str, AlertKind] = {
    kind.code: kind
    for kind in (
        AlertKind(
            "red_flag_secondary_hfs",
            _C,
            "Signs that suggest a secondary cause: urgent imaging",
            "A new or progressive deficit (facial weakness or numbness, hearing loss, other cranial nerve signs, "
            "long-tract or cerebellar signs), a fast course or spasm in a child points to a tumour, demyelination "
            "or another lesion of the facial nerve or brainstem; contrast-enhanced MRI is needed within two weeks, "
            "before spasm-directed treatment is relied on.",
            ("R133", "R145b", "R17", "R135", "R2"),
        ),
        AlertKind(
            "contrast_mri_indicated",
            _W,
            "Features that call for contrast-enhanced MRI",
            "Onset before 40 or in childhood, onset in the lower face, tonic spasms, spasm on both sides, multiple "
            "sclerosis, facial trauma, a previous facial palsy, a posterior fossa or parotid lesion, trigeminal "
            "pain, a cancer history or an examination not recorded make a secondary cause more likely without "
            "being an emergency. Hemifacial spasm itself is clonic and/or tonic, so tonic spasm does not exclude "
            "it; contrast shows tumour, demyelination and inflammation as well as the conflict.",
            ("R5", "R16", "R17", "R2", "R134", "R60", "R25"),
        ),
        AlertKind(
            "emergency_assessment",
            _C,
            "A deficit of acute onset: assess today",
            "A deficit that began within days, such as sudden hearing loss or facial weakness with other signs, "
            "may be a stroke, a haemorrhage or an inflammatory or infective lesion; it needs same-day specialist "
            "assessment, not an outpatient scan.",
            ("R202", "R133", "R145b"),
        ),
        AlertKind(
            "young_onset",
            _I,
            "Onset before the usual age",
            "Onset before 40 is unusual in primary hemifacial spasm and can herald another neurological "
            "illness such as multiple sclerosis; most young-onset patients still have a vascular conflict.",
            ("R5", "R8"),
        ),
        AlertKind(
            "bilateral_symptoms",
            _I,
            "Spasm on both sides",
            "Primary hemifacial spasm is bilateral in under 5% of patients, and then not synchronous; "
            "bilateral spasm also suggests blepharospasm or a functional disorder.",
            ("R60", "R3", "R2", "R17"),
        ),
        AlertKind(
            "atypical_onset",
            _I,
            "Spasm began in the lower face",
            "Typical spasm starts around the eye and spreads down; onset in the lower face is the uncommon "
            "atypical form and is among the features that call for a careful search for another cause.",
            ("R7", "R107", "R135", "R118"),
        ),
        AlertKind(
            "alternative_diagnosis",
            _W,
            "Another diagnosis explains the movements",
            "Blepharospasm, post-palsy synkinesis, myokymia, tics, functional spasm, hemimasticatory spasm "
            "and focal seizures mimic hemifacial spasm and follow other care pathways; with a new neurological "
            "deficit the patient is imaged first, whatever the impression.",
            ("R16", "R20", "R106"),
        ),
        AlertKind(
            "ct_only_imaging",
            _W,
            "Only CT imaging",
            "CT cannot show a neurovascular conflict (the contact between a vessel and the facial nerve) and "
            "misses small posterior fossa lesions; MRI is the study of choice, and a conflict reported on CT "
            "needs MRI to be confirmed.",
            ("R21", "R115", "R9"),
        ),
        AlertKind(
            "no_nvc_on_imaging",
            _I,
            "No neurovascular conflict seen",
            "Imaging shows no conflict. This does not rule out microvascular decompression: patients with "
            "typical spasm and no visible conflict still improved after surgery, and MRI sensitivity depends "
            "on the reader.",
            ("R113", "R116", "R112"),
        ),
        AlertKind(
            "secondary_cause_on_imaging",
            _W,
            "Imaging shows a secondary cause",
            "A tumour, demyelination, vascular malformation or other structural lesion causes the spasm; the "
            "lesion is treated by the relevant specialty before any spasm-directed surgery. A vertebrobasilar "
            "dolichoectasia compressing the nerve is a neurovascular conflict, not a malformation: MVD can treat it.",
            ("R9", "R135", "R159", "R138"),
        ),
        AlertKind(
            "hla_b1502_screen_required",
            _C,
            "HLA-B*1502 screening before carbamazepine",
            "In patients of Asian ancestry the HLA-B*1502 allele carries a much higher risk of "
            "Stevens-Johnson syndrome and toxic epidermal necrolysis with carbamazepine; the label asks for "
            "genotyping before starting it.",
            ("R98",),
        ),
        AlertKind(
            "hla_b1502_screen_advised",
            _W,
            "Consider HLA-B*1502 testing before oxcarbazepine",
            "Oxcarbazepine is chemically close to carbamazepine, and carriers of HLA-B*1502 may have a higher risk "
            "of Stevens-Johnson syndrome and toxic epidermal necrolysis with it; its label says testing should be "
            "considered before starting it in patients with ancestry in at-risk populations.",
            ("R223", "R222"),
        ),
        AlertKind(
            "hla_b1502_positive",
            _C,
            "HLA-B*1502 positive",
            "Carriers of HLA-B*1502 have a much higher risk of Stevens-Johnson syndrome and toxic epidermal "
            "necrolysis with carbamazepine, and likely with oxcarbazepine, whose labels say to avoid them unless "
            "the benefit clearly outweighs the risk; phenytoin's label says to consider avoiding it as an "
            "alternative to carbamazepine in carriers (a warning).",
            ("R98", "R223", "R225"),
        ),
        AlertKind(
            "dose_above_label_maximum",
            _W,
            "Daily dose above the label's adult maximum",
            "The daily dose is above the maximum the drug's label gives for adults; check the dose and the reason "
            "for exceeding it.",
            ("R221", "R222", "R226", "R227", "R228", "R229"),
        ),
        AlertKind(
            "pregnancy_drug_review",
            _W,
            "Treatment in pregnancy",
            "A drug started, or toxin injected, during pregnancy needs its label's pregnancy statement weighed "
            "against the benefit; hemifacial spasm is not dangerous, and treatment can often wait.",
            ("R221", "R224", "R230"),
        ),
        AlertKind(
            "enzyme_inducer_contraception",
            _I,
            "May make hormonal contraception fail",
            "The drug induces the liver enzymes that break down hormonal contraceptives; its label advises "
            "another, non-hormonal method for women who could become pregnant.",
            ("R221", "R222"),
        ),
        AlertKind(
            "reinjection_interval_too_short",
            _W,
            "Injection sooner than the minimum interval",
            "Injections more often than every 3 months can bring tolerance, and short intervals and booster "
            "doses raise the risk of neutralising antibodies.",
            ("R45", "R49"),
        ),
        AlertKind(
            "dose_above_usual_range",
            _W,
            "Dose above the usual range",
            "The total dose is above the usual range for this product in hemifacial spasm; units are not "
            "interchangeable between products, and higher doses per cycle raise antibody risk.",
            ("R45", "R48", "R49", "R153"),
        ),
        AlertKind(
            "waning_response",
            _W,
            "Toxin benefit is waning",
            "When toxin becomes ineffective or poorly tolerated, the plan should be adjusted and "
            "microvascular decompression, the only curative option, discussed.",
            ("R45", "R72", "R104", "R50"),
        ),
        AlertKind(
            "distant_spread_suspected",
            _C,
            "Possible spread of toxin effect beyond the injected muscles",
            "Swallowing or breathing difficulty, a changed voice or generalised weakness after an injection can "
            "come from spread of the toxin away from the injection site, which the boxed warning of every "
            "botulinum toxin label describes as potentially life-threatening; assess the patient now and weigh "
            "the dose and sites before any further injection.",
            ("R157", "R45"),
        ),
        AlertKind(
            "local_diffusion_suspected",
            _W,
            "Double vision after periocular injection",
            "Diplopia after injections around the eye usually comes from toxin diffusing into the eye muscles "
            "next to the injected orbicularis oculi (the label advises avoiding the medial lower lid to reduce "
            "it); review the injection sites before the next session.",
            ("R45",),
        ),
        AlertKind(
            "surgical_risk_unfavourable",
            _W,
            "Unfavourable surgical risk",
            "High ASA class and anticoagulation that cannot be paused weigh heavily against an elective "
            "operation for a condition that is not life-threatening.",
            ("R120", "R105"),
        ),
        AlertKind(
            "checkpoint_override",
            _W,
            "Referral made over the checkpoint's reservations",
            "The risk-benefit checkpoint advised against or could not support surgery; the referral went ahead "
            "with the reason recorded.",
            ("R105",),
        ),
        AlertKind(
            "delayed_resolution_possible",
            _I,
            "Delayed cure is still possible",
            "A quarter to a third of patients are cured only weeks to months after surgery, some after a "
            "year; persisting spasm early on is not yet a failure.",
            ("R73", "R74", "R76", "R105"),
        ),
        AlertKind(
            "mvd_complication",
            _W,
            "Complication after microvascular decompression",
            "Hearing loss, facial palsy, CSF leak, lower cranial nerve deficits and stroke are the known "
            "complications; each needs its own follow-up.",
            ("R26", "R105", "R119"),
        ),
        AlertKind(
            "early_recurrence",
            _W,
            "Spasm returned within the first year after surgery",
            "Spasm can stop for days after decompression and then come back, and still resolve later; a "
            "return within the first year is followed up before it is called a failure.",
            ("R75", "R73", "R74"),
        ),
        AlertKind(
            "mvd_outside_checkpoint",
            _I,
            "Operation on record without the pathway's checkpoint",
            "The decompression was done outside this pathway, so its risk-benefit checkpoint was not recorded; "
            "follow-up after surgery applies as usual. It is a warning when the imaging work-up was still "
            "incomplete, since a secondary cause had not been excluded.",
            ("R105", "R9"),
        ),
        AlertKind(
            "referral_overdue",
            _W,
            "Referral for surgery without an outcome",
            "A referral for microvascular decompression with neither an operation nor a closed referral after "
            "six months may have been lost; surgery is best offered once toxin fails, not left waiting.",
            ("R72", "R104"),
        ),
        AlertKind(
            "follow_up_overdue",
            _W,
            "No contact for longer than the stage allows",
            "Care that simply stops is easy to miss: toxin is repeated every 3 to 4 months, an oral drug's dose "
            "should be reviewed at least every 3 months, and a chosen option or a waning response needs a plan.",
            ("R103", "R24", "R104"),
        ),
        AlertKind(
            "imaging_workup_incomplete",
            _C,
            "The imaging work-up is not complete",
            "The study on record cannot answer the work-up's question: CT cannot show the conflict and misses "
            "small lesions, and an MRI without contrast can miss tumour, demyelination and inflammation when "
            "contrast is indicated. Symptomatic treatment may go on, but the study the indication needs is still "
            "outstanding. Critical for an urgent indication, a warning otherwise.",
            ("R21", "R115", "R9", "R10", "R133"),
        ),
        AlertKind(
            "urgent_imaging_overdue",
            _C,
            "Urgent imaging is overdue",
            "An urgent indication (a new or progressive deficit, a fast course, a child) was not followed by a "
            "contrast-enhanced MRI within two weeks; a lesion that causes progressive deficits should not wait.",
            ("R201", "R133", "R145b", "R135"),
        ),
        AlertKind(
            "imaging_finding_not_coded",
            _W,
            "The finding of a study is not recorded",
            "A study is on record but its finding is not recorded in structured form, so the record cannot show "
            "whether a secondary cause was excluded: review the report and record its finding.",
            ("R9", "R21"),
        ),
        AlertKind(
            "ct_limits",
            _W,
            "The work-up was closed by CT: know its limits",
            "MRI was not possible, so CT closed the work-up. CT cannot exclude small lesions of the "
            "cerebellopontine angle or brainstem or demyelination, and cannot show a neurovascular conflict; a "
            "new or progressing sign calls for another look.",
            ("R21", "R115", "R9"),
        ),
        AlertKind(
            "contrast_withheld",
            _W,
            "Urgent work-up closed without contrast",
            "Contrast was withheld for a recorded reason. High-resolution MRI without contrast shows most "
            "structural lesions and the conflict, but small enhancing tumours, inflammation and active "
            "demyelination can be missed; repeat with contrast if the deficit progresses.",
            ("R10", "R9", "R133"),
        ),
        AlertKind(
            "imaging_declined",
            _W,
            "The patient declined the imaging work-up",
            "A secondary cause has not been excluded. The refusal, and what the patient was told, are part of "
            "the record; the offer of imaging stays open, and a referral for surgery needs a recorded override.",
            ("R9", "R58", "R133"),
        ),
        AlertKind(
            "imaging_booked_late",
            _C,
            "The study is booked after its due date",
            "The booked date is later than the indication allows; ask for an earlier slot. Critical for an "
            "urgent indication, a warning otherwise.",
            ("R133", "R145b", "R58"),
        ),
        AlertKind(
            "imaging_overdue",
            _W,
            "Imaging is overdue",
            "Every patient needs MRI to exclude a secondary cause before treatment is chosen.",
            ("R58", "R9", "R21"),
        ),
        AlertKind(
            "response_assessment_overdue",
            _W,
            "The response to the last injection was never recorded",
            "Benefit usually lasts about 12 weeks and injections are repeated every 3 to 4 months; an injection "
            "five months old with no response on record means the cycle's effect is unknown, and waning benefit "
            "cannot be detected without it.",
            ("R35", "R41", "R45"),
        ),
        AlertKind(
            "review_overdue",
            _W,
            "A scheduled review is overdue",
            "Scheduled reviews are how shortening benefit, side effects and late outcomes are found.",
            ("R59", "R58", "R73"),
        ),
    )
}

RECOMMENDATIONS: dict[str, RecommendationKind] = {
    kind.code: kind
    for kind in (
        RecommendationKind(
            "record_presentation",
            "Record the history and examination",
            "The diagnosis is clinical: the side, where the spasm began, whether sustained (tonic) spasms come with "
            "the brief (clonic) twitches (hemifacial spasm is clonic and/or tonic), other neurological signs and "
            "past history decide the work-up.",
            ("R106", "R142", "R2"),
        ),
        RecommendationKind(
            "order_mri",
            "Order an MRI of the brain",
            "MRI with heavily T2-weighted high-resolution sequences and MR angiography excludes a secondary "
            "cause and shows the neurovascular conflict.",
            ("R9", "R10", "R21", "R58"),
        ),
        RecommendationKind(
            "urgent_contrast_mri",
            "Order an urgent contrast-enhanced MRI of the brain",
            "A new or progressive deficit, a fast course or spasm in a child makes a secondary cause more likely; "
            "contrast-enhanced MRI with high-resolution T2 and angiography is needed within two weeks.",
            ("R201", "R133", "R145b", "R9", "R10"),
        ),
        RecommendationKind(
            "order_contrast_mri",
            "Order a contrast-enhanced MRI of the brain",
            "Features that favour a secondary cause call for contrast-enhanced MRI with high-resolution T2 and "
            "angiography, which shows tumour, demyelination and inflammation as well as the conflict.",
            ("R9", "R10", "R5", "R134"),
        ),
        RecommendationKind(
            "emergency_assessment",
            "Arrange same-day specialist assessment",
            "A deficit that began within days needs assessment today (emergency department, stroke or ENT "
            "service), not an outpatient scan.",
            ("R202", "R133", "R145b"),
        ),
        RecommendationKind(
            "document_presentation",
            "Complete the record of the presentation",
            "The work-up depends on the side, where the spasm began, the examination for deficits and the age at "
            "onset; a finding not recorded is not a normal finding.",
            ("R106", "R142", "R2"),
        ),
        RecommendationKind(
            "record_imaging_finding",
            "Record the finding of the study on record",
            "The study the work-up needs has been done, but its finding is not recorded in structured form: "
            "review the report and record its finding (imaging_finding_recorded) rather than repeat the scan.",
            ("R9", "R21"),
        ),
        RecommendationKind(
            "consider_sedated_or_open_mri",
            "Consider MRI under sedation or in an open scanner",
            "Claustrophobia often yields to anxiolysis, sedation or an open or wide-bore scanner, and MRI shows "
            "what CT cannot.",
            ("R21", "R115"),
        ),
        RecommendationKind(
            "contact_neurosurgery",
            "Contact the neurosurgical team",
            "New facial weakness or hearing loss in the weeks after decompression is a complication of the "
            "operation (delayed facial palsy is common and usually recovers); the operating team assesses it.",
            ("R70", "R26", "R105"),
        ),
        RecommendationKind(
            "order_dedicated_mri",
            "Obtain a dedicated MRI of the facial nerve before surgery",
            "Heavily T2-weighted high-resolution sequences with angiography show the offending vessel and plan "
            "the operation; no such study is on record.",
            ("R9", "R10"),
        ),
        RecommendationKind(
            "consider_emg",
            "Consider EMG with lateral spread testing",
            "When the diagnosis is uncertain or there was a facial palsy before, EMG separates hemifacial "
            "spasm from post-palsy synkinesis and other mimics.",
            ("R21", "R106", "R132"),
        ),
        RecommendationKind(
            "refer_movement_disorders",
            "Refer to a movement-disorders specialist",
            "Uncertain or bilateral spasm needs specialist assessment for blepharospasm, functional spasm and "
            "other mimics.",
            ("R16", "R17", "R3"),
        ),
        RecommendationKind(
            "refer_secondary_cause",
            "Refer to the specialty that treats the cause",
            "A secondary cause is treated at its source; treating the lesion can relieve the spasm.",
            ("R159", "R135", "R2"),
        ),
        RecommendationKind(
            "offer_botulinum_toxin",
            "Offer botulinum toxin injections",
            "Botulinum toxin is the first-line symptomatic treatment, with moderate to marked relief in most "
            "patients, repeated about every 3 to 4 months.",
            ("R35", "R58", "R103", "R104"),
        ),
        RecommendationKind(
            "offer_oral_medication",
            "Offer an oral drug where it fits",
            "Oral drugs are an option for mild spasm, for patients declining injections, or as a bridge; "
            "their evidence is very low and clonazepam failed a randomised trial.",
            ("R56", "R58", "R23"),
        ),
        RecommendationKind(
            "offer_observation",
            "Offer observation without treatment",
            "Hemifacial spasm is not dangerous; some patients prefer no treatment, and some untreated "
            "patients improve over years.",
            ("R59", "R34"),
        ),
        RecommendationKind(
            "discuss_mvd",
            "Discuss microvascular decompression",
            "Microvascular decompression is the only curative option and can be discussed from the start with "
            "fit, motivated patients.",
            ("R103", "R105", "R26"),
        ),
        RecommendationKind(
            "consider_redo_mvd",
            "Consider a second decompression",
            "Persistent or recurrent spasm after decompression is usually due to a missed compression, and a "
            "second operation is effective; it carries more complications than the first, and succeeds less "
            "often unless done early.",
            ("R124", "R118", "R105"),
        ),
        RecommendationKind(
            "start_oral_medication",
            "Start the chosen oral drug",
            "Start at a low dose and review the effect; carbamazepine needs HLA-B*1502 screening in patients of "
            "Asian ancestry, and testing should be considered before oxcarbazepine.",
            ("R22", "R24", "R98", "R223"),
        ),
        RecommendationKind(
            "review_medication",
            "Review the oral drug's effect",
            "Oral drugs often help little or lose effect; review the response and side effects and move on to "
            "toxin if it is not good.",
            ("R24", "R58", "R23"),
        ),
        RecommendationKind(
            "first_botox_injection",
            "Give the first botulinum toxin injection",
            "Toxin is injected into the affected muscles, starting around the eye.",
            ("R45", "R35"),
        ),
        RecommendationKind(
            "assess_botox_response",
            "Record the response to the last injection",
            "The peak effect comes at 1 to 2 weeks; recording the peak improvement, side effects and whether "
            "the benefit is still ongoing (and later how long it lasted) is what detects waning benefit.",
            ("R45", "R83"),
        ),
        RecommendationKind(
            "next_injection_window",
            "Next injection window opens",
            "Injections are repeated when the effect wears off, and not sooner than the minimum interval.",
            ("R45", "R49", "R103"),
        ),
        RecommendationKind(
            "adjust_botox_plan",
            "Adjust the toxin plan",
            "An insufficient effect can be met with a higher dose (up to double), other sites or another "
            "product; most non-responders without antibodies respond again after adjustment.",
            ("R45", "R50", "R22", "R47"),
        ),
        RecommendationKind(
            "review_diagnosis_and_technique",
            "Review the diagnosis and the injection technique",
            "When the first injections bring no benefit at all, re-examine the diagnosis (with EMG if needed), the "
            "muscles injected, the dose and the technique before calling toxin a failure; neutralising "
            "antibodies are rare, and another product can be tried.",
            ("R45", "R50", "R22"),
        ),
        RecommendationKind(
            "review_toxin_resistance",
            "Consider secondary non-response to toxin",
            "Benefit that fails after earlier good cycles can mean neutralising antibodies, though most patients "
            "who stop responding have none and respond again after a dose or site change; testing for antibodies "
            "or changing to another product is the next step.",
            ("R50", "R49", "R22"),
        ),
        RecommendationKind(
            "evaluate_for_mvd",
            "Evaluate for microvascular decompression",
            "Decompression should be offered once toxin becomes ineffective or poorly tolerated.",
            ("R72", "R104"),
        ),
        RecommendationKind(
            "assess_surgical_risk",
            "Assess surgical risk",
            "ASA class, diabetes, hypertension, anticoagulation, age and prior posterior fossa surgery change "
            "the balance of benefit and harm.",
            ("R120", "R119", "R122", "R68"),
        ),
        RecommendationKind(
            "obtain_audiometry",
            "Obtain baseline audiometry",
            "Hearing loss is a key risk of the operation; a pre-operative audiogram is needed to judge it.",
            ("R66", "R151"),
        ),
        RecommendationKind(
            "shared_decision_discussion",
            "Discuss benefits and risks with the patient",
            "The disease is not life-threatening and the operation is not harmless; efficacy and safety are "
            "weighed together with the patient before surgery.",
            ("R105", "R103"),
        ),
        RecommendationKind(
            "refer_for_mvd",
            "Refer to neurosurgery for microvascular decompression",
            "Outcomes are best with an experienced surgeon at a specialist centre; once the referral is made, "
            "confirm that the neurosurgical appointment follows.",
            ("R58", "R152", "R105"),
        ),
        RecommendationKind(
            "post_mvd_review",
            "Review after surgery",
            "Reviews at 3, 6, 12 and 24 months find delayed cure, failure and recurrence; most recurrences "
            "come within 2 years.",
            ("R73", "R123", "R118"),
        ),
        RecommendationKind(
            "observation_review",
            "Review the patient under observation",
            "Spasm often spreads and worsens over time; review whether treatment is now wanted.",
            ("R59", "R131"),
        ),
    )
}
