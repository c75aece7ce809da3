// This file is not part of KEDA. The autoreplay conformance suite
// (conformance/keda/run.sh) adds it to pkg/scaling/resolver with the go
// tool's -overlay flag, in place of the four secret-store handlers
// (hashicorpvault_handler.go, azure_keyvault_handler.go,
// gcp_secretmanager_handler.go, aws_secretmanager_handler.go), which would
// pull in every cloud SDK. Only resolveAuthRef refers to them, for a
// TriggerAuthentication that names a secret store; the suite's builder
// resolves no authentication, so none of this runs. Each handler fails.
// Config.Validate, which the operator runs at startup and the suite never
// calls, also uses vaultAddressesEqual from the Vault handler: here it
// accepts no address.

package resolver

import (
	"context"
	"errors"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	corev1listers "k8s.io/client-go/listers/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kedav1alpha1 "github.com/kedacore/keda/v2/apis/keda/v1alpha1"
	"github.com/kedacore/keda/v2/pkg/scalers/authentication"
)

var errNoSecretStores = errors.New("secret stores are not built into the autoreplay conformance oracle")

func vaultAddressesEqual(string, string) bool { return false }

type HashicorpVaultHandler struct{}

func NewHashicorpVaultHandler(*kedav1alpha1.HashiCorpVault, *authentication.AuthClientSet, string) *HashicorpVaultHandler {
	return &HashicorpVaultHandler{}
}

func (*HashicorpVaultHandler) Initialize(logr.Logger) error { return errNoSecretStores }

func (*HashicorpVaultHandler) Stop() {}

func (*HashicorpVaultHandler) ResolveSecrets([]kedav1alpha1.VaultSecret) ([]kedav1alpha1.VaultSecret, error) {
	return nil, errNoSecretStores
}

type AzureKeyVaultHandler struct{}

func NewAzureKeyVaultHandler(*kedav1alpha1.AzureKeyVault) *AzureKeyVaultHandler {
	return &AzureKeyVaultHandler{}
}

func (*AzureKeyVaultHandler) Initialize(context.Context, client.Client, logr.Logger, string, corev1listers.SecretLister) error {
	return errNoSecretStores
}

func (*AzureKeyVaultHandler) Read(context.Context, string, string) (string, error) {
	return "", errNoSecretStores
}

type GCPSecretManagerHandler struct{}

func NewGCPSecretManagerHandler(*kedav1alpha1.GCPSecretManager) *GCPSecretManagerHandler {
	return &GCPSecretManagerHandler{}
}

func (*GCPSecretManagerHandler) Initialize(context.Context, client.Client, logr.Logger, string, corev1listers.SecretLister) error {
	return errNoSecretStores
}

func (*GCPSecretManagerHandler) Read(context.Context, string, string) (string, error) {
	return "", errNoSecretStores
}

type AwsSecretManagerHandler struct{}

func NewAwsSecretManagerHandler(*kedav1alpha1.AwsSecretManager) *AwsSecretManagerHandler {
	return &AwsSecretManagerHandler{}
}

func (*AwsSecretManagerHandler) Initialize(context.Context, client.Client, logr.Logger, string, corev1listers.SecretLister, *corev1.PodSpec) error {
	return errNoSecretStores
}

func (*AwsSecretManagerHandler) Read(context.Context, logr.Logger, string, string, string, string) (string, error) {
	return "", errNoSecretStores
}

func (*AwsSecretManagerHandler) Stop() {}
