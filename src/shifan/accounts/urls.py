from django.urls import path

from shifan.accounts import sso_views, verification_views, views

app_name = "accounts"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("sso/<slug:key>/login/", sso_views.SsoLoginView.as_view(), name="sso_login"),
    path("sso/<slug:key>/callback/", sso_views.SsoCallbackView.as_view(), name="sso_callback"),
    path("sso/<slug:key>/register/", sso_views.SsoRegistrationView.as_view(), name="sso_register"),
    path("sso/<slug:key>/claim/", sso_views.SsoClaimView.as_view(), name="sso_claim"),
    path(
        "sso/<slug:key>/backchannel-logout/",
        sso_views.BackchannelLogoutView.as_view(),
        name="sso_backchannel_logout",
    ),
    path("register/", views.RegistrationView.as_view(), name="register"),
    path("register/check-credit-code/", views.CreditCodeCheckView.as_view(), name="credit_code_check"),
    path("register/sent/", verification_views.RegistrationSentView.as_view(), name="registration_sent"),
    path("register/claim/", verification_views.ClaimCreateView.as_view(), name="claim_create"),
    path("register/claim/sent/", verification_views.ClaimSentView.as_view(), name="claim_sent"),
    path("email/verify/<str:token>/", verification_views.EmailVerifyView.as_view(), name="email_verify"),
    path("email/unverified/", verification_views.EmailUnverifiedView.as_view(), name="email_unverified"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("password/reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("password/reset/sent/", views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password/reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("password/reset/done/", views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("two-factor/setup/", views.TwoFactorSetupView.as_view(), name="two_factor_setup"),
    path("two-factor/verify/", views.TwoFactorVerifyView.as_view(), name="two_factor_verify"),
    path("two-factor/recovery-codes/", views.RecoveryCodesView.as_view(), name="recovery_codes"),
    path("login-failures/", views.LoginFailureListView.as_view(), name="login_failures"),
    path("invitations/<str:token>/", views.InvitationAcceptView.as_view(), name="invitation_accept"),
    path("organisation/", views.OwnOrganisationView.as_view(), name="own_organisation"),
    path("organisation/edit/", views.OwnOrganisationEditView.as_view(), name="own_organisation_edit"),
    path("organisation/members/<int:pk>/remove/", views.MemberRemoveView.as_view(), name="member_remove"),
    path(
        "organisation/members/<int:pk>/make-admin/",
        views.MemberMakeAdminView.as_view(),
        name="member_make_admin",
    ),
    path(
        "organisation/invitations/<int:pk>/revoke/",
        views.InvitationRevokeView.as_view(),
        name="invitation_revoke",
    ),
    path(
        "organisation/verification/",
        verification_views.OwnVerificationView.as_view(),
        name="own_verification",
    ),
    path("verification/", verification_views.VerificationListView.as_view(), name="verification_list"),
    path(
        "verification/<int:pk>/",
        verification_views.VerificationDetailView.as_view(),
        name="verification_detail",
    ),
    path(
        "verification/documents/<int:pk>/",
        verification_views.VerificationDocumentView.as_view(),
        name="verification_document",
    ),
    path("verification/claims/", verification_views.ClaimListView.as_view(), name="claim_list"),
    path("verification/claims/<int:pk>/", verification_views.ClaimDetailView.as_view(), name="claim_detail"),
    path("organisations/", views.OrganisationListView.as_view(), name="organisation_list"),
    path("organisations/<int:pk>/", views.OrganisationDetailView.as_view(), name="organisation_detail"),
    path(
        "organisations/<int:pk>/region/", views.OrganisationRegionView.as_view(), name="organisation_region"
    ),
    path("manage/accounts/", views.AccountListView.as_view(), name="account_list"),
    path("manage/accounts/new-officer/", views.OfficerCreateView.as_view(), name="officer_create"),
    path("manage/accounts/new-expert/", views.ExpertCreateView.as_view(), name="expert_create"),
    path("manage/accounts/<int:pk>/", views.AccountDetailView.as_view(), name="account_detail"),
    path("manage/experts/<int:pk>/edit/", views.ExpertEditView.as_view(), name="expert_edit"),
    path(
        "manage/experts/<int:pk>/past-employments/",
        views.ExpertPastEmploymentAddView.as_view(),
        name="expert_past_employment_add",
    ),
    path(
        "manage/experts/<int:pk>/past-employments/<int:employment_pk>/remove/",
        views.ExpertPastEmploymentRemoveView.as_view(),
        name="expert_past_employment_remove",
    ),
    path("manage/experts/import/", views.ExpertImportView.as_view(), name="expert_import"),
    path(
        "manage/experts/import/confirm/",
        views.ExpertImportConfirmView.as_view(),
        name="expert_import_confirm",
    ),
    path(
        "manage/experts/import/template.xlsx",
        views.ExpertImportTemplateView.as_view(),
        name="expert_import_template",
    ),
    path("manage/audit/", views.AuditListView.as_view(), name="audit_list"),
    path(
        "manage/organisation-changes/",
        views.OrganisationChangeListView.as_view(),
        name="organisation_change_list",
    ),
    path(
        "manage/organisation-changes/<int:pk>/",
        views.OrganisationChangeView.as_view(),
        name="organisation_change",
    ),
    path("expert/profile/", views.ExpertProfileView.as_view(), name="expert_profile"),
    path("expert/conflicts/", views.ConflictDeclareView.as_view(), name="conflict_declare"),
    path(
        "expert/conflicts/<int:pk>/withdraw/", views.ConflictWithdrawView.as_view(), name="conflict_withdraw"
    ),
    path("expert/past-employments/", views.PastEmploymentAddView.as_view(), name="past_employment_add"),
    path(
        "expert/past-employments/<int:pk>/remove/",
        views.PastEmploymentRemoveView.as_view(),
        name="past_employment_remove",
    ),
]
