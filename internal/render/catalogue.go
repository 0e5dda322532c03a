package render

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/text/width"

	"github.com/openports/openports/internal/firewall"
	"github.com/openports/openports/internal/knowledge"
	"github.com/openports/openports/internal/report"
	"github.com/openports/openports/internal/snapshot"
)

// MsgID names one text of the catalogue. Every text a command prints comes
// from here (or, for services and rule findings, from the knowledge base):
// sources and analysis hand over codes and arguments, never sentences.
// TestCatalogue fails when an ID has no text in a language, or is defined
// and never used.
type MsgID string

// text is one message in every language. EnOne, when set, is the English
// text for a count of one (the first argument): "1 socket", "2 sockets".
type text struct{ En, EnOne, Ja string }

// The message IDs, by what they name.
const (
	MsgHeaderProto    MsgID = "header.proto"
	MsgHeaderAddress  MsgID = "header.address"
	MsgHeaderPort     MsgID = "header.port"
	MsgHeaderIP       MsgID = "header.ip"
	MsgHeaderExposure MsgID = "header.exposure"
	MsgHeaderProcess  MsgID = "header.process"
	MsgHeaderUser     MsgID = "header.user"
	MsgHeaderService  MsgID = "header.service"
	MsgHeaderRisk     MsgID = "header.risk"
	MsgHeaderNote     MsgID = "header.note"
	MsgHeaderNetNS    MsgID = "header.netns"
	MsgHeaderChange   MsgID = "header.change"

	MsgHeaderFirewall        MsgID = "header.firewall"
	MsgFirewallOpen          MsgID = "firewall.open"
	MsgFirewallBlocked       MsgID = "firewall.blocked"
	MsgFirewallPartly        MsgID = "firewall.partly"
	MsgFirewallUnknown       MsgID = "firewall.unknown"
	MsgFirewallDNAT          MsgID = "firewall.dnat"
	MsgFirewallTitle         MsgID = "firewall.title"
	MsgFirewallBy            MsgID = "firewall.by"
	MsgFirewallWhy           MsgID = "firewall.why"
	MsgFirewallBoth          MsgID = "firewall.both"
	MsgOutsideTitle          MsgID = "outside.title"
	MsgOutsideExpected       MsgID = "outside.expected"
	MsgOutsideFiltered       MsgID = "outside.listening-but-filtered"
	MsgOutsidePublished      MsgID = "outside.open-published"
	MsgOutsideUnanswered     MsgID = "outside.listening-unanswered"
	MsgOutsideNoSocket       MsgID = "outside.open-without-socket"
	MsgOutsideNotInPolicy    MsgID = "outside.open-not-in-policy"
	MsgOutsideNotThisHost    MsgID = "outside.not-this-host"
	MsgOutsideAddressUnknown MsgID = "outside.address-not-known"
	MsgOutsideNotScanned     MsgID = "outside.not-scanned"
	MsgOutsideFirewall       MsgID = "outside.firewall"

	MsgExposureAll       MsgID = "exposure.all"
	MsgExposureLoopback  MsgID = "exposure.loopback"
	MsgExposureDevice    MsgID = "exposure.device"
	MsgExposureLinkLocal MsgID = "exposure.link-local"
	MsgExposureOneAddr   MsgID = "exposure.one-addr"

	MsgSeverityInfo      MsgID = "severity.info"
	MsgSeverityReview    MsgID = "severity.review"
	MsgSeverityRisky     MsgID = "severity.risky"
	MsgSeverityDangerous MsgID = "severity.dangerous"

	MsgExplainRisk     MsgID = "explain.risk"
	MsgExplainRestrict MsgID = "explain.restrict"
	MsgExplainMore     MsgID = "explain.more"

	MsgServiceUnknown MsgID = "service.unknown"

	MsgSummaryHidden       MsgID = "summary.hidden"
	MsgSummaryUnknown      MsgID = "summary.unknown"
	MsgSummaryRootWildcard MsgID = "summary.root-wildcard"
	MsgSummaryNothing      MsgID = "summary.nothing"
	MsgSummaryNothingSeen  MsgID = "summary.nothing-seen"
	MsgSummaryIncomplete   MsgID = "summary.incomplete"
	MsgSummaryOwners       MsgID = "summary.owners"
	MsgSummaryPolicy       MsgID = "summary.policy"
	MsgSummaryPolicyOK     MsgID = "summary.policy-ok"
	// MsgSummaryPolicyUnproven counts the rows a rule allows only for an
	// owner that could not be seen.
	MsgSummaryPolicyUnproven MsgID = "summary.policy-unproven"

	MsgOwnersEBPF     MsgID = "owners.ebpf"
	MsgOwnersProc     MsgID = "owners.proc"
	MsgOwnersProcEBPF MsgID = "owners.proc-ebpf"

	MsgOwnerUnknown    MsgID = "owner.unknown"
	MsgOwnerPartial    MsgID = "owner.partial"
	MsgOwnerNone       MsgID = "owner.none"
	MsgOwnerViaAddress MsgID = "owner.via-address"
	MsgRouteLocalnet   MsgID = "exposure.route-localnet"
	MsgTransparent     MsgID = "exposure.transparent"
	MsgOwnerViaUnnamed MsgID = "owner.via-unnamed"
	MsgTruncated       MsgID = "truncated"
	MsgPortPrinted     MsgID = "port.printed"
	MsgAddressPrinted  MsgID = "address.printed"

	MsgPublishedDNAT      MsgID = "published.dnat"
	MsgPublishedDNATCond  MsgID = "published.dnat-conditions"
	MsgPublishedWider     MsgID = "published.wider"
	MsgPublishedForwarded MsgID = "published.forwarded"
	MsgPublishedTarget    MsgID = "published.target"
	MsgNetNSContainerOnly MsgID = "netns.container-only"
	MsgSummaryNATBackends MsgID = "summary.nat-two-backends"
	MsgGapNATUnreadable   MsgID = "gap.nat-unreadable"
	MsgGapTargetsUnplaced MsgID = "gap.targets-unplaced"

	// MsgSummaryNoPorts and MsgSummaryNoPortsSeen replace the all-clear
	// while raw or packet sockets that are no rows exist
	// (MsgSummaryRawSockets, MsgSummaryPacketSockets name them), or when
	// none were looked for (report.RawTablesRead unset: a parsed output).
	MsgSummaryNoPorts       MsgID = "summary.no-ports"
	MsgSummaryNoPortsSeen   MsgID = "summary.no-ports-seen"
	MsgSummaryRawSockets    MsgID = "summary.raw-sockets"
	MsgSummaryPacketSockets MsgID = "summary.packet-sockets"
	MsgGapRawUnreadable     MsgID = "gap.raw-unreadable"
	// MsgGapSockDiagRawProcfs: no raw sock_diag handler, and the raw
	// sockets were read from /proc/net/raw instead (--raw).
	MsgGapSockDiagRawProcfs MsgID = "gap.sock-diag-raw-procfs"

	MsgReasonNoCapability     MsgID = "reason.no-capability"
	MsgReasonHidepid          MsgID = "reason.hidepid"
	MsgReasonUserNamespace    MsgID = "reason.user-namespace"
	MsgReasonRefused          MsgID = "reason.refused"
	MsgReasonNoProcessColumn  MsgID = "reason.no-process-column"
	MsgReasonToolCouldNotSee  MsgID = "reason.tool-could-not-see"
	MsgReasonUnreadableColumn MsgID = "reason.unreadable-process-column"
	MsgReasonOnePIDShown      MsgID = "reason.one-pid-shown"
	MsgReasonPIDZero          MsgID = "reason.pid-zero"
	MsgReasonNoHeader         MsgID = "reason.no-header"
	MsgReasonAmbiguousColumns MsgID = "reason.ambiguous-columns"
	MsgReasonPermissionDenied MsgID = "reason.permission-denied"
	MsgReasonNoOwnerInOutput  MsgID = "reason.no-owner-in-output"
	MsgReasonRemoteScan       MsgID = "reason.remote-scan"

	MsgGapNoCapability  MsgID = "gap.no-capability"
	MsgGapHidepid       MsgID = "gap.hidepid"
	MsgGapUserNamespace MsgID = "gap.user-namespace"
	MsgGapRefused       MsgID = "gap.refused"
	MsgGapPermission    MsgID = "gap.permission"
	MsgGapNetlinkRefuse MsgID = "gap.netlink-refused"
	MsgGapOther         MsgID = "gap.other"
	MsgGapOldArgs       MsgID = "gap.saved-without-args"

	MsgGapPrivilegeUnknown   MsgID = "gap.privilege-unknown"
	MsgGapSocketsUnreadable  MsgID = "gap.sockets-unreadable"
	MsgGapIfacesUnreadable   MsgID = "gap.interfaces-unreadable"
	MsgGapNetNSUnreadable    MsgID = "gap.namespaces-unreadable"
	MsgGapReadError          MsgID = "gap.read-error"
	MsgGapProcessesVanished  MsgID = "gap.processes-vanished"
	MsgGapOwnersVanished     MsgID = "gap.owners-vanished"
	MsgGapOwnersChanged      MsgID = "gap.owners-changed"
	MsgGapDetails            MsgID = "gap.details"
	MsgGapTruncated          MsgID = "gap.truncated"
	MsgGapNetNSPermission    MsgID = "gap.namespaces-permission"
	MsgGapSockDiagUnavail    MsgID = "gap.sock-diag-unavailable"
	MsgGapToolFailed         MsgID = "gap.tool-failed"
	MsgGapUnparsedLines      MsgID = "gap.unparsed-lines"
	MsgGapNotRoot            MsgID = "gap.not-root"
	MsgGapLsofFailed         MsgID = "gap.lsof-failed"
	MsgGapNoProcessColumn    MsgID = "gap.no-process-column"
	MsgGapToolCouldNotSee    MsgID = "gap.tool-could-not-see"
	MsgGapPermissionDenied   MsgID = "gap.permission-denied"
	MsgGapOtherNamespace     MsgID = "gap.other-namespace"
	MsgGapNoOwnerInOutput    MsgID = "gap.no-owner-in-output"
	MsgGapMixedOS            MsgID = "gap.mixed-os"
	MsgGapCheckIfaces        MsgID = "gap.check-interfaces"
	MsgGapCheckRoutes        MsgID = "gap.check-routes"
	MsgGapCheckCollect       MsgID = "gap.check-collect"
	MsgGapCheckResolvConf    MsgID = "gap.check-resolv-conf"
	MsgGapCheckListeners     MsgID = "gap.check-listeners"
	MsgGapNoAddress          MsgID = "gap.no-address"
	MsgGapDNSNoConfig        MsgID = "gap.dns-no-configuration"
	MsgGapDNSNoName          MsgID = "gap.dns-no-name"
	MsgGapLinesNotUnderstood MsgID = "gap.lines-not-understood"
	MsgGapOnePIDPerSocket    MsgID = "gap.one-process-per-socket"
	MsgGapNoListeners        MsgID = "gap.output-without-listeners"
	MsgGapToolError          MsgID = "gap.tool-error"
	MsgGapSockDiagFailed     MsgID = "gap.sock-diag-failed"
	MsgGapNetNSListFailed    MsgID = "gap.namespaces-list-failed"
	MsgGapNetNSEnter         MsgID = "gap.namespaces-enter"
	MsgGapNetNSDenied        MsgID = "gap.namespaces-denied"
	MsgGapNetNSHidden        MsgID = "gap.namespaces-hidden"
	MsgGapPIDNamespace       MsgID = "gap.pid-namespace"
	MsgReasonPIDNamespace    MsgID = "reason.pid-namespace"
	MsgGapUnheld             MsgID = "gap.unheld"
	MsgReasonUnheld          MsgID = "reason.unheld"
	MsgGapRouteLocalnet      MsgID = "gap.route-localnet-unreadable"
	MsgGapNetNSUnlisted      MsgID = "gap.netns-unlisted"
	MsgGapNSIDUnreadable     MsgID = "gap.netns-nsid-unreadable"
	MsgGapTransparentUnread  MsgID = "gap.transparent-unread"

	MsgProvenanceEnabled    MsgID = "provenance.enabled"
	MsgProvenanceDefault    MsgID = "provenance.default"
	MsgProvenanceNotEnabled MsgID = "provenance.not-enabled"
	MsgProvenanceUnknown    MsgID = "provenance.unknown"

	MsgProvReasonDisabled         MsgID = "provenance.reason.disabled"
	MsgProvReasonUnset            MsgID = "provenance.reason.unset"
	MsgProvReasonNoScript         MsgID = "provenance.reason.no-script"
	MsgProvReasonInetdCommented   MsgID = "provenance.reason.inetd-commented"
	MsgProvReasonSession          MsgID = "provenance.reason.session"
	MsgProvReasonCron             MsgID = "provenance.reason.cron"
	MsgProvReasonContainer        MsgID = "provenance.reason.container"
	MsgProvReasonTransient        MsgID = "provenance.reason.transient"
	MsgProvReasonWantedBy         MsgID = "provenance.reason.wanted-by"
	MsgProvReasonNotEnabled       MsgID = "provenance.reason.not-enabled"
	MsgProvReasonSocketActivation MsgID = "provenance.reason.socket-activation"
	MsgProvReasonNoUnit           MsgID = "provenance.reason.no-unit"
	MsgProvReasonNoCgroup         MsgID = "provenance.reason.no-cgroup"
	MsgProvReasonUnreadable       MsgID = "provenance.reason.unreadable"
	MsgProvReasonNoConfig         MsgID = "provenance.reason.no-config"
	MsgProvReasonShellCode        MsgID = "provenance.reason.shell-code"
	MsgProvReasonConditional      MsgID = "provenance.reason.conditional"
	MsgProvReasonDefaultsDisabled MsgID = "provenance.reason.defaults-disabled"

	MsgPolicyNew      MsgID = "policy.new"
	MsgPolicyExposure MsgID = "policy.exposure"
	MsgPolicyOwner    MsgID = "policy.owner"
	MsgPolicyMissing  MsgID = "policy.missing"
	// MsgPolicyOwnerUnknown is a row a rule allows only for a named owner,
	// whose owner could not be seen.
	MsgPolicyOwnerUnknown MsgID = "policy.owner-unknown"

	MsgCheckSection    MsgID = "check.section"
	MsgCheckOK         MsgID = "check.verdict.ok"
	MsgCheckWarning    MsgID = "check.verdict.warning"
	MsgCheckProblem    MsgID = "check.verdict.problem"
	MsgCheckGap        MsgID = "check.gap"
	MsgCheckWhy        MsgID = "check.why"
	MsgCheckExpected   MsgID = "check.expected"
	MsgCheckActual     MsgID = "check.actual"
	MsgCheckLookAt     MsgID = "check.look-at"
	MsgCheckSummary    MsgID = "check.summary"
	MsgCheckPortsTitle MsgID = "check.ports-title"

	MsgSumInterfaces     MsgID = "check.summary.interfaces"
	MsgSumInterfacesNone MsgID = "check.summary.interfaces-unlisted"
	MsgSumRoutes         MsgID = "check.summary.routes"
	MsgSumRoutesNone     MsgID = "check.summary.routes-unreadable"
	MsgSumPorts          MsgID = "check.summary.ports"
	MsgSumPortsFailed    MsgID = "check.summary.ports-failed"
	MsgSumResolvConf     MsgID = "check.summary.resolv-conf"
	MsgSumResolvConfFile MsgID = "check.summary.resolv-conf-file"
	MsgSumDNSNotRun      MsgID = "check.summary.dns-not-run"
	MsgSumDNSNoName      MsgID = "check.summary.dns-no-name"
	MsgSumDNSAsked       MsgID = "check.summary.dns-asked"
	MsgSumProblems       MsgID = "check.summary.problems"
	MsgSumWarnings       MsgID = "check.summary.warnings"
	MsgSumGaps           MsgID = "check.summary.gaps"
	MsgSumAllOK          MsgID = "check.summary.all-ok"

	MsgPortsSummary            MsgID = "ports.summary"
	MsgPortsDangerous          MsgID = "ports.dangerous"
	MsgPortsDangerousWhy       MsgID = "ports.dangerous.why"
	MsgPortsRisky              MsgID = "ports.risky"
	MsgPortsRiskyWhy           MsgID = "ports.risky.why"
	MsgPortsHintExplain        MsgID = "ports.hint.explain"
	MsgPortsUnknownOwner       MsgID = "ports.unknown-owner"
	MsgPortsUnknownWhy         MsgID = "ports.unknown-owner.why"
	MsgPortsPolicy             MsgID = "ports.policy"
	MsgPortsPolicyWhy          MsgID = "ports.policy.why"
	MsgPortsHintNote           MsgID = "ports.hint.note"
	MsgPortsPolicyMissing      MsgID = "ports.policy-missing"
	MsgSubjInterfaces          MsgID = "subject.interfaces"
	MsgSubjNames               MsgID = "subject.names"
	MsgSubjListening           MsgID = "subject.listening-sockets"
	MsgSubjNameserversExpected MsgID = "subject.nameservers-expected"
	MsgSubjExpected            MsgID = "subject.expected"
	MsgSubjDefaultRoute        MsgID = "subject.default-route"
	MsgSubjNameserver          MsgID = "subject.nameserver"
	MsgSayExpAbsent            MsgID = "say.expect.absent"
	MsgSayExpState             MsgID = "say.expect.state"
	MsgSayIfaceNone            MsgID = "say.iface.none-found"
	MsgSayIfaceNoAddr          MsgID = "say.iface.state-no-address"
	MsgSayIfaceTwice           MsgID = "say.iface.configured-twice"
	MsgSayExpMTU               MsgID = "say.expect.mtu"
	MsgSayExpLacks             MsgID = "say.expect.lacks"
	MsgSayExpOK                MsgID = "say.expect.ok"
	MsgSayExpNSOK              MsgID = "say.expect.nameservers-ok"
	MsgSayExpNS                MsgID = "say.expect.nameservers"
	MsgSayRtNone               MsgID = "say.route.none"
	MsgSayRtNoneUsable         MsgID = "say.route.none-usable"
	MsgSayRtNoneNoGlobal       MsgID = "say.route.none-no-global"
	MsgSayRtNoneUsableNoGlobal MsgID = "say.route.none-usable-no-global"
	MsgSayRtGateway            MsgID = "say.route.gateway"
	MsgSayDNSAnswered          MsgID = "say.dns.answered"
	MsgSayDNSSilent            MsgID = "say.dns.silent"
	MsgSayDNSNames             MsgID = "say.dns.names"
	MsgSayDNSUnresolved        MsgID = "say.dns.unresolved"
	MsgSayRsNoFile             MsgID = "say.resolv.no-file"
	MsgSayRsRemote             MsgID = "say.resolv.remote"
	MsgSayRsRemoteRoute        MsgID = "say.resolv.remote-route"
	MsgSayRsRoutesUnknown      MsgID = "say.resolv.routes-unknown"
	MsgSayRsLocal              MsgID = "say.resolv.local"
	MsgSayRsLocalUnchecked     MsgID = "say.resolv.local-unchecked"
	MsgSayRsLocalListens       MsgID = "say.resolv.local-listens"
	MsgSayRsStubUnreadable     MsgID = "say.resolv.stub-upstreams-unreadable"
	MsgSayRsStubError          MsgID = "say.resolv.stub-upstreams-error"
	MsgSayRsStubNoUpstreams    MsgID = "say.resolv.stub-no-upstream-servers"
	MsgSayRsStub               MsgID = "say.resolv.stub"
	MsgSayDNSServerSays        MsgID = "say.dns.server-says"
	MsgSayDNSNoAddress         MsgID = "say.dns.no-address"
	MsgRCLongLine              MsgID = "resolvconf.long-line"
	MsgRCManyLines             MsgID = "resolvconf.many-lines"
	MsgRCLeadingSpace          MsgID = "resolvconf.leading-space"
	MsgRCDomainComment         MsgID = "resolvconf.domain-comment"
	MsgRCDomainEmpty           MsgID = "resolvconf.domain-empty"
	MsgRCDomainMany            MsgID = "resolvconf.domain-many"
	MsgRCSearchComment         MsgID = "resolvconf.search-comment"
	MsgRCSearchEmpty           MsgID = "resolvconf.search-empty"
	MsgRCSortlistEmpty         MsgID = "resolvconf.sortlist-empty"
	MsgRCSortlistBad           MsgID = "resolvconf.sortlist-bad"
	MsgRCOptionsEmpty          MsgID = "resolvconf.options-empty"
	MsgRCLookupUnknown         MsgID = "resolvconf.lookup-unknown"
	MsgRCFamilyUnknown         MsgID = "resolvconf.family-unknown"
	MsgRCKeywordUnknown        MsgID = "resolvconf.keyword-unknown"
	MsgRCNSEmpty               MsgID = "resolvconf.nameserver-empty"
	MsgRCNSMany                MsgID = "resolvconf.nameserver-many"
	MsgRCNSNotIP               MsgID = "resolvconf.nameserver-not-ip"
	MsgRCNSMapped              MsgID = "resolvconf.nameserver-mapped"
	MsgRCNSUnspecified         MsgID = "resolvconf.nameserver-unspecified"
	MsgRCNSMulticast           MsgID = "resolvconf.nameserver-multicast"
	MsgRCNSNoZone              MsgID = "resolvconf.nameserver-no-zone"
	MsgRCNSTwice               MsgID = "resolvconf.nameserver-twice"
	MsgRCNSTooMany             MsgID = "resolvconf.nameserver-too-many"
	MsgRCDomainTwice           MsgID = "resolvconf.domain-twice"
	MsgRCDomainInvalid         MsgID = "resolvconf.domain-invalid"
	MsgRCSearchLong            MsgID = "resolvconf.search-long"
	MsgRCOptionUnknown         MsgID = "resolvconf.option-unknown"
	MsgRCOptionNoValue         MsgID = "resolvconf.option-no-value"
	MsgRCOptionNotNumber       MsgID = "resolvconf.option-not-number"
	MsgRCOptionRange           MsgID = "resolvconf.option-range"
	MsgRCOptionZero            MsgID = "resolvconf.option-zero"
	MsgRCOptionValueIgnored    MsgID = "resolvconf.option-value-ignored"

	MsgWhyIfaceNone             MsgID = "why.iface.none"
	MsgHintIfaceNone            MsgID = "hint.iface.none"
	MsgWhyIfaceLoDown           MsgID = "why.iface.loopback-down"
	MsgHintIfaceLoDown          MsgID = "hint.iface.loopback-down"
	MsgWhyIfaceLoNoAddr         MsgID = "why.iface.loopback-no-address"
	MsgHintIfaceLoNoAddr        MsgID = "hint.iface.loopback-no-address"
	MsgWhyIfaceDAD              MsgID = "why.iface.dad-failed"
	MsgHintIfaceDAD             MsgID = "hint.iface.dad-failed"
	MsgWhyIfaceNoCarrier        MsgID = "why.iface.no-carrier"
	MsgHintIfaceNoCarrier       MsgID = "hint.iface.no-carrier"
	MsgWhyIfaceNoAddr           MsgID = "why.iface.no-address"
	MsgHintIfaceNoAddr          MsgID = "hint.iface.no-address"
	MsgWhyIfaceLLOnly           MsgID = "why.iface.link-local-only"
	MsgHintIfaceLLOnly          MsgID = "hint.iface.link-local-only"
	MsgWhyIfaceDup              MsgID = "why.iface.duplicate"
	MsgHintIfaceDup             MsgID = "hint.iface.duplicate"
	MsgWhyRouteNoneExp4         MsgID = "why.route.none-expected.v4"
	MsgHintRouteNoneExp4        MsgID = "hint.route.none-expected.v4"
	MsgWhyRouteNoneExp6         MsgID = "why.route.none-expected.v6"
	MsgHintRouteNoneExp6        MsgID = "hint.route.none-expected.v6"
	MsgWhyRouteNone4            MsgID = "why.route.none.v4"
	MsgHintRouteNone4           MsgID = "hint.route.none.v4"
	MsgWhyRouteNone6            MsgID = "why.route.none.v6"
	MsgHintRouteNone6           MsgID = "hint.route.none.v6"
	MsgWhyRouteGwUnexp          MsgID = "why.route.gateway-unexpected"
	MsgHintRouteGwUnexp         MsgID = "hint.route.gateway-unexpected"
	MsgWhyRouteGwOffLink        MsgID = "why.route.gateway-off-link"
	MsgHintRouteGwOffLink       MsgID = "hint.route.gateway-off-link"
	MsgWhyRouteIfMissing        MsgID = "why.route.iface-missing"
	MsgHintRouteIfMissing       MsgID = "hint.route.iface-missing"
	MsgWhyRouteIfDown           MsgID = "why.route.iface-down"
	MsgHintRouteIfDown          MsgID = "hint.route.iface-down"
	MsgWhyRouteIfNoCarrier      MsgID = "why.route.iface-no-carrier"
	MsgHintRouteIfNoCarrier     MsgID = "hint.route.iface-no-carrier"
	MsgWhyRouteGwOwn            MsgID = "why.route.gateway-own"
	MsgHintRouteGwOwn           MsgID = "hint.route.gateway-own"
	MsgWhyRouteGwSubnet         MsgID = "why.route.gateway-not-in-subnet"
	MsgHintRouteGwSubnet        MsgID = "hint.route.gateway-not-in-subnet"
	MsgWhyRouteGwSubnetOL       MsgID = "why.route.gateway-not-in-subnet-onlink"
	MsgHintRouteGwSubnetOL      MsgID = "hint.route.gateway-not-in-subnet-onlink"
	MsgWhyExpectMismatch        MsgID = "why.expect.mismatch"
	MsgHintExpectMismatch       MsgID = "hint.expect.mismatch"
	MsgWhyResolvMissing         MsgID = "why.resolv.missing"
	MsgHintResolvMissing        MsgID = "hint.resolv.missing"
	MsgHintResolvLine           MsgID = "hint.resolv.line"
	MsgWhyResolvNoListener      MsgID = "why.resolv.no-listener"
	MsgHintResolvNoListener     MsgID = "hint.resolv.no-listener"
	MsgWhyResolvStubNoListener  MsgID = "why.resolv.stub-no-listener"
	MsgHintResolvStubNoListener MsgID = "hint.resolv.stub-no-listener"
	MsgWhyResolvStubNoUp        MsgID = "why.resolv.stub-no-upstreams"
	MsgHintResolvStubNoUp       MsgID = "hint.resolv.stub-no-upstreams"
	MsgWhyResolvNoRoute         MsgID = "why.resolv.no-route"
	MsgHintResolvNoRoute        MsgID = "hint.resolv.no-route"
	MsgWhyResolvRouteRejects    MsgID = "why.resolv.route-rejects"
	MsgHintResolvRouteRejects   MsgID = "hint.resolv.route-rejects"
	MsgWhyDNSTooMany            MsgID = "why.dns.too-many-names"
	MsgHintDNSTooMany           MsgID = "hint.dns.too-many-names"
	MsgWhyDNSTimeout            MsgID = "why.dns.timeout"
	MsgHintDNSTimeout           MsgID = "hint.dns.timeout"
	MsgWhyDNSRefused            MsgID = "why.dns.refused"
	MsgHintDNSRefused           MsgID = "hint.dns.refused"
	MsgWhyDNSUnreachable        MsgID = "why.dns.unreachable"
	MsgHintDNSUnreachable       MsgID = "hint.dns.unreachable"
	MsgWhyDNSFailed             MsgID = "why.dns.failed"
	MsgHintDNSFailed            MsgID = "hint.dns.failed"
	MsgWhyDNSNoAnswer           MsgID = "why.dns.no-answer"
	MsgHintDNSNoAnswer          MsgID = "hint.dns.no-answer"
	MsgWhyDNSNoAddress          MsgID = "why.dns.no-address"
	MsgHintDNSNoAddress         MsgID = "hint.dns.no-address"
	MsgWhyDNSOwnNoAddress       MsgID = "why.dns.own-name-no-address"
	MsgHintDNSOwnNoAddress      MsgID = "hint.dns.own-name-no-address"
	MsgWhyDNSDifferent          MsgID = "why.dns.different"
	MsgHintDNSDifferent         MsgID = "hint.dns.different"

	MsgDiffNew          MsgID = "diff.new"
	MsgDiffGone         MsgID = "diff.gone"
	MsgDiffChanged      MsgID = "diff.changed"
	MsgDiffFieldsChange MsgID = "diff.fields-changed"
	MsgDiffFieldOwners  MsgID = "diff.field.owners"
	MsgDiffFieldExpo    MsgID = "diff.field.exposure"
	MsgDiffFieldState   MsgID = "diff.field.state"
	MsgDiffEphemeral    MsgID = "diff.ephemeral"
	MsgDiffFieldTarget  MsgID = "diff.field.target"
	MsgDiffPublished    MsgID = "diff.published"
	MsgDiffSummary      MsgID = "diff.summary"
	MsgDiffNote         MsgID = "diff.note"
	MsgDiffOtherHost    MsgID = "diff.other-host"
	MsgDiffGaps         MsgID = "diff.gaps"
	MsgOwnersUnknown    MsgID = "owners.unknown"
	MsgOwnersNone       MsgID = "owners.none"
	MsgOwnersHidden     MsgID = "owners.hidden"
	MsgEphemeralExplain MsgID = "ephemeral.explain"

	MsgWatchNew          MsgID = "watch.new"
	MsgWatchGone         MsgID = "watch.gone"
	MsgWatchOwnerChanged MsgID = "watch.owner-changed"
	MsgWatchUser         MsgID = "watch.user"
	MsgWatchWas          MsgID = "watch.was"
	MsgWatchLived        MsgID = "watch.lived"
	MsgWatchLivedAtLeast MsgID = "watch.lived-at-least"
	MsgWatchLivedShort   MsgID = "watch.lived-short"
	MsgWatchEphemeral    MsgID = "watch.ephemeral"
	MsgWatchNetNS        MsgID = "watch.netns"
	MsgWatchNoProcess    MsgID = "watch.no-process"
	MsgWatchOwnerUnknown MsgID = "watch.owner-unknown"
	MsgWatchStart        MsgID = "watch.start"
	MsgWatchStartAll     MsgID = "watch.start-all-netns"
	MsgWatchSummary      MsgID = "watch.summary"
	MsgWatchNamespaces   MsgID = "watch.namespaces"
	MsgWatchLost         MsgID = "watch.lost"
	MsgWatchError        MsgID = "watch.error"
	MsgWatchPolicy       MsgID = "watch.policy"
	// MsgWatchPolicyExposure counts the exposure-unknown records.
	MsgWatchPolicyExposure MsgID = "watch.policy-exposure-unknown"

	MsgXPorts      MsgID = "explain.ports"
	MsgXAlso       MsgID = "explain.also"
	MsgXProcs      MsgID = "explain.procs"
	MsgXPortOnly   MsgID = "explain.port-only"
	MsgXWhat       MsgID = "explain.what"
	MsgXWhy        MsgID = "explain.why"
	MsgXSeverity   MsgID = "explain.severity"
	MsgXRestrict   MsgID = "explain.to-restrict"
	MsgXStop       MsgID = "explain.stop"
	MsgXSources    MsgID = "explain.sources"
	MsgXKindProto  MsgID = "explain.kind.protocol"
	MsgXKindRelay  MsgID = "explain.kind.relay"
	MsgXKindRuntim MsgID = "explain.kind.runtime"

	MsgWarning              MsgID = "warning"
	MsgWarnIncomplete       MsgID = "warn.incomplete-baseline"
	MsgWarnRunAsRoot        MsgID = "warn.run-as-root"
	MsgWarnMoreOmitted      MsgID = "warn.more-omitted"
	MsgAnalyzeNotUnderstood MsgID = "analyze.not-understood"
	MsgAnalyzeSkipped       MsgID = "analyze.skipped"
	MsgAnalyzeConnected     MsgID = "analyze.connected-left-out"
	MsgAnalyzeForced        MsgID = "analyze.segment-forced"
	MsgAnalyzeScore         MsgID = "analyze.segment-score"
	MsgAnalyzeScoreAlso     MsgID = "analyze.segment-score-also"
	MsgAnalyzeAfter         MsgID = "analyze.segment-after"
	MsgAnalyzeMoreParts     MsgID = "analyze.more-parts"
	MsgAnalyzeJoined        MsgID = "analyze.joined"
	MsgAnalyzeMoreJoined    MsgID = "analyze.more-joined"
	MsgAnalyzeUnbound       MsgID = "analyze.unbound-left-out"

	MsgViolationNew            MsgID = "violation.new"
	MsgViolationExposure       MsgID = "violation.exposure"
	MsgViolationOwner          MsgID = "violation.owner"
	MsgViolationEphemeral      MsgID = "violation.ephemeral"
	MsgViolationUnknownProcess MsgID = "violation.unknown-process"
	MsgViolationOwnerUnknown   MsgID = "violation.owner-unknown"
	// MsgViolationExposureUnknown is a loopback socket a rule allows only
	// as loopback, whose reach from other machines watch could not tell.
	MsgViolationExposureUnknown MsgID = "violation.exposure-unknown"

	MsgBaselineThisHost  MsgID = "baseline.this-host"
	MsgBaselineWhat      MsgID = "baseline.what"
	MsgBaselineWritten   MsgID = "baseline.written"
	MsgBaselinePorts     MsgID = "baseline.ports"
	MsgBaselineProcesses MsgID = "baseline.processes"

	MsgUsageUnknownValue   MsgID = "usage.unknown-value"
	MsgUsageUnknownFormat  MsgID = "usage.unknown-format"
	MsgUsageUnknownCommand MsgID = "usage.unknown-command"
	MsgUsageDidYouMean     MsgID = "usage.did-you-mean"
	MsgUsageRunHelp        MsgID = "usage.run-help"
	MsgUsageDNSTimeout     MsgID = "usage.dns-timeout-range"
	MsgUsagePolicyNoPorts  MsgID = "usage.policy-needs-ports"
	MsgUsageNegative       MsgID = "usage.interval-negative"
	MsgUsageSnapshotJSON   MsgID = "usage.snapshot-json-only"
	MsgUsageExplainTry     MsgID = "usage.explain-not-found"
	MsgUsageFirewallFile   MsgID = "usage.firewall-file-unknown"
	MsgUsageRootNotDir     MsgID = "usage.root-not-directory"
	MsgUsageInputFormat    MsgID = "usage.input-format-unknown"
	MsgInterrupted         MsgID = "interrupted"
)

// Firewall reasons (firewall.Reason codes): why a verdict is unknown or
// depends on the sender. A block of its own, with its texts at the end of
// the catalogue.
const (
	MsgFwReasonSourceAddress MsgID = "firewall.reason.source-address"
	MsgFwReasonSourcePort    MsgID = "firewall.reason.source-port"
	MsgFwReasonSourceRoute   MsgID = "firewall.reason.source-route"
	MsgFwReasonInterface     MsgID = "firewall.reason.interface"
	MsgFwReasonLocalAddress  MsgID = "firewall.reason.local-address"
	MsgFwReasonUnknownValue  MsgID = "firewall.reason.unknown-value"
	MsgFwReasonCondition     MsgID = "firewall.reason.condition"
	MsgFwReasonUnmodelled    MsgID = "firewall.reason.unmodelled"
	MsgFwReasonDNATTarget    MsgID = "firewall.reason.dnat-target"
	MsgFwReasonDNATUnrouted  MsgID = "firewall.reason.dnat-unrouted"
	MsgFwReasonChainNotRead  MsgID = "firewall.reason.chain-not-read"
	MsgFwReasonSetNotRead    MsgID = "firewall.reason.set-not-read"
	MsgFwReasonSetDynamic    MsgID = "firewall.reason.set-dynamic"
	MsgFwReasonJumpsTooDeep  MsgID = "firewall.reason.jumps-too-deep"
	MsgFwReasonTooManyPaths  MsgID = "firewall.reason.too-many-paths"
	MsgFwReasonTooManySteps  MsgID = "firewall.reason.too-many-steps"
	MsgFwReasonBackendUnread MsgID = "firewall.reason.backend-unread"
	MsgFwReasonNoInterface   MsgID = "firewall.reason.no-interface"
	MsgFwWhereDNAT           MsgID = "firewall.where.dnat"
	MsgFwWhereSomeSources    MsgID = "firewall.where.some-sources"
	MsgFwProbePartly         MsgID = "firewall.probe.partly"
)

// firewallReasonTexts map firewall.Reason codes to their texts and the
// names of their arguments, in order.
var firewallReasonTexts = map[string]gapText{
	firewall.ReasonSourceAddress: {MsgFwReasonSourceAddress, nil},
	firewall.ReasonSourcePort:    {MsgFwReasonSourcePort, nil},
	firewall.ReasonSourceRoute:   {MsgFwReasonSourceRoute, nil},
	firewall.ReasonInterface:     {MsgFwReasonInterface, nil},
	firewall.ReasonLocalAddress:  {MsgFwReasonLocalAddress, nil},
	firewall.ReasonUnknownValue:  {MsgFwReasonUnknownValue, []string{"what"}},
	firewall.ReasonCondition:     {MsgFwReasonCondition, []string{"what"}},
	firewall.ReasonUnmodelled:    {MsgFwReasonUnmodelled, []string{"what"}},
	firewall.ReasonDNATTarget:    {MsgFwReasonDNATTarget, []string{"what"}},
	firewall.ReasonDNATUnrouted:  {MsgFwReasonDNATUnrouted, []string{"target"}},
	firewall.ReasonChainNotRead:  {MsgFwReasonChainNotRead, []string{"chain"}},
	firewall.ReasonSetNotRead:    {MsgFwReasonSetNotRead, []string{"set"}},
	firewall.ReasonSetDynamic:    {MsgFwReasonSetDynamic, []string{"set"}},
	firewall.ReasonJumpsTooDeep:  {MsgFwReasonJumpsTooDeep, nil},
	firewall.ReasonTooManyPaths:  {MsgFwReasonTooManyPaths, []string{"max"}},
	firewall.ReasonTooManySteps:  {MsgFwReasonTooManySteps, []string{"max"}},
	firewall.ReasonBackendUnread: {MsgFwReasonBackendUnread, []string{"backend", "error"}},
	firewall.ReasonNoInterface:   {MsgFwReasonNoInterface, nil},
}

// catalogue returns every text in every language. The map is built on
// first use, not at start: --help and the commands that print no
// catalogue text do not pay for it.
var catalogue = sync.OnceValue(buildCatalogue)

func buildCatalogue() map[MsgID]text {
	return map[MsgID]text{
		MsgHeaderProto:    {En: "PROTO", Ja: "プロト"},
		MsgHeaderAddress:  {En: "ADDRESS", Ja: "アドレス"},
		MsgHeaderPort:     {En: "PORT", Ja: "ポート"},
		MsgHeaderIP:       {En: "IP", Ja: "IP"},
		MsgHeaderExposure: {En: "EXPOSURE", Ja: "公開範囲"},
		MsgHeaderProcess:  {En: "PROCESS (PIDs)", Ja: "プロセス (PID)"},
		MsgHeaderUser:     {En: "USER", Ja: "ユーザ"},
		MsgHeaderService:  {En: "SERVICE", Ja: "サービス"},
		MsgHeaderRisk:     {En: "RISK", Ja: "リスク"},
		MsgHeaderNote:     {En: "NOTE", Ja: "備考"},
		MsgHeaderNetNS:    {En: "NETNS", Ja: "NETNS"},
		MsgHeaderChange:   {En: "CHANGE", Ja: "変化"},

		// The FIREWALL column and --explain (firewall.go), the outside view (outside.go).
		MsgHeaderFirewall:        {En: "FIREWALL", Ja: "ファイアウォール"},
		MsgFirewallOpen:          {En: "open", Ja: "許可"},
		MsgFirewallBlocked:       {En: "blocked", Ja: "遮断"},
		MsgFirewallPartly:        {En: "partly: %[1]s", Ja: "一部: %[1]s"},
		MsgFirewallUnknown:       {En: "?", Ja: "?"},
		MsgFirewallDNAT:          {En: "%[1]s (dnat)", Ja: "%[1]s (DNAT)"},
		MsgFirewallTitle:         {En: "Firewall (which rule decides):", Ja: "ファイアウォール (判定したルール):"},
		MsgFirewallBy:            {En: "%[1]s by %[2]s", Ja: "%[1]s: %[2]s"},
		MsgFirewallWhy:           {En: "%[1]s: %[2]s", Ja: "%[1]s: %[2]s"},
		MsgFirewallBoth:          {En: "nftables and iptables-legacy both hold rules; a packet must pass both", Ja: "nftables と iptables-legacy の両方にルールがあります。パケットは両方を通過する必要があります"},
		MsgOutsideTitle:          {En: "Outside view (%[1]s, %[2]s):", Ja: "外からの見え方 (%[1]s, %[2]s):"},
		MsgOutsideExpected:       {En: "open, listening here", Ja: "開いている (ここで待ち受け中)"},
		MsgOutsideFiltered:       {En: "listening here, but the scan did not get in", Ja: "ここで待ち受け中だがスキャンは到達せず"},
		MsgOutsidePublished:      {En: "open, published by DNAT to %[1]s", Ja: "開いている (DNAT で %[1]s へ公開)"},
		MsgOutsideUnanswered:     {En: "listening here, no answer to the scan (a filter, or a service that ignores the probe)", Ja: "ここで待ち受け中、スキャンへの応答なし (フィルタか、プローブを無視するサービス)"},
		MsgOutsideNoSocket:       {En: "open, but nothing here listens (DNAT, or another host behind this address)", Ja: "開いているがここでは何も待ち受けていません (DNAT か、このアドレスの背後の別ホスト)"},
		MsgOutsideNotInPolicy:    {En: "open, and not in the policy", Ja: "開いていてポリシーにありません"},
		MsgOutsideNotThisHost:    {En: "open on an address that is not this host's: not joined", Ja: "このホストのものではないアドレスで開いています (照合せず)"},
		MsgOutsideAddressUnknown: {En: "open; this host's addresses are unknown, so not joined", Ja: "開いています (このホストのアドレスが不明なため照合せず)"},
		MsgOutsideNotScanned:     {En: "%[1]d reachable rows not probed by the scan", EnOne: "%[1]d reachable row not probed by the scan", Ja: "スキャンが調べていない到達可能な行 %[1]d 個"},
		MsgOutsideFirewall:       {En: "firewall %[1]s", Ja: "ファイアウォール %[1]s"},

		MsgExposureAll:       {En: "all-ifaces", Ja: "全インターフェイス"},
		MsgExposureLoopback:  {En: "loopback", Ja: "ループバック"},
		MsgExposureDevice:    {En: "device %[1]s", Ja: "デバイス %[1]s"},
		MsgExposureLinkLocal: {En: "link-local %[1]s", Ja: "リンクローカル %[1]s"},
		MsgExposureOneAddr:   {En: "one-addr", Ja: "特定アドレス"},

		MsgSeverityInfo:      {En: "info", Ja: "情報"},
		MsgSeverityReview:    {En: "review", Ja: "要確認"},
		MsgSeverityRisky:     {En: "risky", Ja: "要注意"},
		MsgSeverityDangerous: {En: "dangerous", Ja: "危険"},

		MsgExplainRisk:     {En: "why it matters:", Ja: "公開すると:"},
		MsgExplainRestrict: {En: "to restrict it:", Ja: "制限するには:"},
		MsgExplainMore:     {En: "How to turn each one off: openports explain SERVICE", Ja: "それぞれの止め方: openports explain サービス名"},

		MsgServiceUnknown: {En: "?", Ja: "不明"},

		MsgSummaryHidden:       {En: "%[1]d loopback-only sockets hidden (--all shows them)", EnOne: "%[1]d loopback-only socket hidden (--all shows it)", Ja: "ループバック専用のソケット %[1]d 個を非表示 (--all で表示)"},
		MsgSummaryUnknown:      {En: "%[1]d sockets of unknown owner", EnOne: "%[1]d socket of unknown owner", Ja: "所有プロセス不明のソケット %[1]d 個"},
		MsgSummaryRootWildcard: {En: "%[1]d lines run as root on all interfaces", EnOne: "%[1]d line runs as root on all interfaces", Ja: "root 権限で全インターフェイスに待ち受ける行 %[1]d 個"},
		MsgSummaryNothing:      {En: "nothing reachable from other hosts", Ja: "他のホストから到達できるものはありません"},
		MsgSummaryNothingSeen:  {En: "nothing reachable found, but the view is incomplete (see below)", Ja: "到達できるものは見つかりませんでしたが、確認できなかった部分があります（下記参照）"},
		MsgSummaryIncomplete:   {En: "incomplete: %[1]s", Ja: "不完全: %[1]s"},
		MsgSummaryOwners:       {En: "owners from %[1]s", Ja: "所有プロセスの取得方法: %[1]s"},
		MsgSummaryPolicy:       {En: "policy %[2]s: %[1]d violations", EnOne: "policy %[2]s: %[1]d violation", Ja: "ポリシー %[2]s: 違反 %[1]d 件"},
		MsgSummaryPolicyOK:     {En: "policy %[1]s: no violation (%[2]d rules)", Ja: "ポリシー %[1]s: 違反なし (規則 %[2]d 件)"},
		MsgSummaryPolicyUnproven: {En: "policy %[2]s: %[1]d lines not proven allowed: a rule allows them only for a named owner, which could not be seen",
			EnOne: "policy %[2]s: %[1]d line not proven allowed: a rule allows it only for a named owner, which could not be seen",
			Ja:    "ポリシー %[2]s: 許可を確認できない行 %[1]d 個 (規則が許可する所有者を確認できません)"},

		MsgOwnersEBPF:     {En: "the eBPF task_file iterator", Ja: "eBPF task_file イテレータ"},
		MsgOwnersProc:     {En: "/proc/PID/fd", Ja: "/proc/PID/fd"},
		MsgOwnersProcEBPF: {En: "/proc/PID/fd, completed by the eBPF task_file iterator", Ja: "/proc/PID/fd (eBPF task_file イテレータで補完)"},

		MsgOwnerUnknown:    {En: "owner unknown: %[1]s", Ja: "所有プロセス不明: %[1]s"},
		MsgOwnerPartial:    {En: "other holders may be hidden: %[1]s", Ja: "他の保持プロセスが見えていない可能性: %[1]s"},
		MsgOwnerNone:       {En: "held by no process (kernel socket)", Ja: "どのプロセスも保持していません (カーネルのソケット)"},
		MsgOwnerViaAddress: {En: "owners matched by address and port from %[1]s output", Ja: "所有プロセスは %[1]s の出力とアドレス・ポートで照合"},
		MsgTransparent:     {En: "bound to loopback with IP_TRANSPARENT: a TPROXY rule can hand it other machines' connections", Ja: "IP_TRANSPARENT 付きでループバックにバインドされています: TPROXY の規則が他のマシンからの接続を渡せます"},
		MsgRouteLocalnet:   {En: "bound to loopback, yet other machines reach it through %[1]s: route_localnet is on there (net.ipv4.conf.*.route_localnet)", Ja: "ループバックにバインドされていますが、%[1]s 経由で他のマシンから届きます: そこで route_localnet が有効です (net.ipv4.conf.*.route_localnet)"},
		MsgOwnerViaUnnamed: {En: "another tool's", Ja: "別のツール"},
		MsgTruncated:       {En: "truncated by the tool: %[1]s", Ja: "ツールが切り詰めた項目: %[1]s"},
		MsgPortPrinted:     {En: "port not readable, printed as %[1]s", Ja: "ポートを読めません (表示は %[1]s)"},
		MsgAddressPrinted:  {En: "the tool printed the name %[1]s, read as %[2]s", Ja: "ツールは名前 %[1]s を表示 (%[2]s と解釈)"},

		// Ports published by destination NAT (Docker, Podman, kube-proxy).
		MsgPublishedDNAT:      {En: "published by DNAT to %[1]s: not filtered by INPUT rules (ufw, firewalld)", Ja: "DNAT で %[1]s へ公開: INPUT の規則 (ufw、firewalld) では遮断されません"},
		MsgPublishedDNATCond:  {En: "published by DNAT to %[1]s: not filtered by INPUT rules (ufw, firewalld); only where %[3]s", Ja: "DNAT で %[1]s へ公開: INPUT の規則 (ufw、firewalld) では遮断されません。条件: %[3]s"},
		MsgPublishedWider:     {En: "%[1]s listens on %[2]s, but the DNAT rule publishes the port on %[3]s", Ja: "%[1]s は %[2]s で待ち受けますが、DNAT の規則がこのポートを %[3]s に公開しています"},
		MsgPublishedForwarded: {En: "%[1]s forwards it into %[2]s", Ja: "%[1]s が %[2]s へ転送します"},
		MsgPublishedTarget:    {En: "published on the host as %[1]s", Ja: "ホストで %[1]s として公開"},
		MsgNetNSContainerOnly: {En: "container network only (%[1]s): not published on the host", Ja: "コンテナのネットワーク内のみ (%[1]s): ホストには公開されていません"},
		MsgSummaryNATBackends: {En: "NAT rules in both %[1]s: each one's tools show only its own", Ja: "NAT の規則が %[1]s の両方にあります: それぞれのツールは自分の規則しか表示しません"},
		MsgGapNATUnreadable:   {En: "NAT rules could not be read (%[1]s): ports published by DNAT (Docker, Podman, Kubernetes) may be missing", Ja: "NAT の規則を読めませんでした (%[1]s)。DNAT で公開されたポート (Docker、Podman、Kubernetes) が欠けている可能性があります"},
		MsgGapTargetsUnplaced: {En: "%[1]s published port(s) forward to an address no namespace looked into holds, and not every namespace could be looked into (%[2]s): their container is unknown", Ja: "公開ポート %[1]s 件の転送先アドレスは、調べた名前空間のどれにもありません。調べられなかった名前空間があるため (%[2]s)、そのコンテナは不明です"},

		// Raw and packet sockets that are no rows of the table.
		MsgSummaryNoPorts:       {En: "no TCP/UDP port reachable from other hosts", Ja: "他のホストから到達できる TCP/UDP ポートはありません"},
		MsgSummaryNoPortsSeen:   {En: "no TCP/UDP port reachable found, but the view is incomplete (see below)", Ja: "到達できる TCP/UDP ポートは見つかりませんでしたが、確認できなかった部分があります（下記参照）"},
		MsgSummaryRawSockets:    {En: "%[1]d raw/packet sockets receive packets from other machines before any port: %[2]s; --raw lists the raw ones", EnOne: "%[1]d raw/packet socket receives packets from other machines before any port: %[2]s; --raw lists a raw one", Ja: "生ソケット/パケットソケット %[1]d 個が、どのポートよりも先に他のマシンからのパケットを受け取ります: %[2]s。生ソケットは --raw で一覧できます"},
		MsgSummaryPacketSockets: {En: "%[1]d packet sockets receive packets from other machines before any port: %[2]s", EnOne: "%[1]d packet socket receives packets from other machines before any port: %[2]s", Ja: "パケットソケット %[1]d 個が、どのポートよりも先に他のマシンからのパケットを受け取ります: %[2]s"},
		MsgGapSockDiagRawProcfs: {En: "the kernel has no sock_diag handler for %[1]s (%[2]s): they were read from %[3]s instead, which does not give bound devices", Ja: "カーネルに %[1]s の sock_diag ハンドラがありません (%[2]s): 代わりに %[3]s から読みました (バインド先のデバイスはわかりません)"},
		MsgGapRawUnreadable:     {En: "raw and packet sockets of network namespace %[1]s could not all be read (%[2]s): one may receive packets from other machines unseen", Ja: "ネットワーク名前空間 %[1]s の生ソケットとパケットソケットをすべては読めませんでした (%[2]s): 他のマシンからパケットを受け取るソケットが見えていない可能性があります"},

		// Why an owner is unseen, by snapshot.Socket.OwnerReasonCode; the
		// arguments are the socket's uid and " (user)". The hint to run as
		// root is the separate MsgWarnRunAsRoot, never given to root.
		MsgReasonNoCapability:  {En: "socket of uid %[1]s%[2]s; reading other users' /proc/PID/fd needs CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH", Ja: "uid %[1]s%[2]s のソケット。他ユーザの /proc/PID/fd を読むには CAP_SYS_PTRACE と CAP_DAC_READ_SEARCH が必要です"},
		MsgReasonHidepid:       {En: "socket of uid %[1]s%[2]s; /proc is mounted with hidepid, other users' processes are invisible", Ja: "uid %[1]s%[2]s のソケット。/proc が hidepid 付きでマウントされ、他ユーザのプロセスが見えません"},
		MsgReasonUserNamespace: {En: "socket of uid %[1]s%[2]s; processes outside this user namespace are invisible (run in the initial namespace)", Ja: "uid %[1]s%[2]s のソケット。ユーザ名前空間の中からは外側のプロセスが見えません (初期名前空間で実行してください)"},
		// The unreadable processes are named once, in the summary's gap.
		MsgReasonRefused: {En: "socket of uid %[1]s%[2]s; a process whose descriptors no one can read (named below) may hold it", Ja: "uid %[1]s%[2]s のソケット。記述子を誰も読めないプロセス (下記) が保持している可能性があります"},
		// Why a parsed socket's owner is unknown: the tool's output says
		// (these texts take no arguments).
		MsgReasonNoProcessColumn:  {En: "the tool output has no process column", Ja: "ツールの出力にプロセスの列がありません"},
		MsgReasonToolCouldNotSee:  {En: "the tool showed no process for this socket: a kernel socket, or a process it could not see", Ja: "ツールはこのソケットのプロセスを示しませんでした: カーネルのソケットか、ツールから見えないプロセスです"},
		MsgReasonUnreadableColumn: {En: "the process column of this line could not be read (a process name with quotes or commas?): see the problem reported for the line", Ja: "この行のプロセスの列を読めませんでした (引用符やコンマを含むプロセス名?): この行について報告した問題を見てください"},
		MsgReasonOnePIDShown:      {En: "the tool shows one process per socket; other processes may share it", Ja: "ツールはソケットごとに 1 プロセスしか示しません。他のプロセスも共有している可能性があります"},
		MsgReasonPIDZero:          {En: "the tool showed PID 0: a kernel socket, or one whose process it could not tell", Ja: "ツールは PID 0 を示しました: カーネルのソケットか、プロセスを判別できなかったソケットです"},
		MsgReasonNoHeader:         {En: "the columns after the state could not be identified without the header line", Ja: "見出し行がないため、状態より後の列を特定できません"},
		MsgReasonAmbiguousColumns: {En: "the tool ran the COMMAND and PID columns together and the split is ambiguous", Ja: "ツールが COMMAND と PID の列を続けて表示しており、区切りが曖昧です"},
		MsgReasonPermissionDenied: {En: "the tool could not read every process's open files (permission denied)", Ja: "ツールはすべてのプロセスの開いているファイルを読めませんでした (権限なし)"},
		MsgReasonNoOwnerInOutput:  {En: "no process in the %[3]s output holds this address and port", Ja: "%[3]s の出力に、このアドレスとポートを持つプロセスがありません"},
		MsgReasonRemoteScan:       {En: "a port scan from another machine sees ports, not the processes behind them", Ja: "別のマシンからのポートスキャンに見えるのはポートだけで、その背後のプロセスは見えません"},

		// Gaps, by snapshot.Gap.Reason; the first argument is the count.
		MsgGapNoCapability:  {En: "%[1]d sockets of unseen owner: reading other users' /proc/PID/fd needs CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH", EnOne: "%[1]d socket of unseen owner: reading other users' /proc/PID/fd needs CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH", Ja: "所有プロセスが見えないソケットが %[1]d 個あります。他ユーザの /proc/PID/fd を読むには CAP_SYS_PTRACE と CAP_DAC_READ_SEARCH が必要です"},
		MsgGapHidepid:       {En: "%[1]d sockets of unseen owner: /proc is mounted with hidepid", EnOne: "%[1]d socket of unseen owner: /proc is mounted with hidepid", Ja: "所有プロセスが見えないソケットが %[1]d 個あります。/proc が hidepid 付きでマウントされています"},
		MsgGapUserNamespace: {En: "%[1]d sockets of unseen owner: processes outside this user namespace are invisible", EnOne: "%[1]d socket of unseen owner: processes outside this user namespace are invisible", Ja: "所有プロセスが見えないソケットが %[1]d 個あります。ユーザ名前空間の外側のプロセスは見えません"},
		MsgGapRefused:       {En: "%[1]d sockets of unseen owner: a descriptor table is unreadable even to root (a security module or a protected process)", EnOne: "%[1]d socket of unseen owner: a descriptor table is unreadable even to root (a security module or a protected process)", Ja: "所有プロセスが見えないソケットが %[1]d 個あります。root でも読めない記述子テーブルがあります (セキュリティモジュールか保護されたプロセス)"},
		MsgGapPermission:    {En: "the descriptor tables of %[1]d processes were unreadable (%[2]s; %[3]s): sockets of %[3]s have unknown or partial owners", EnOne: "the descriptor table of %[1]d process was unreadable (%[2]s; %[3]s): sockets of %[3]s have unknown or partial owners", Ja: "%[1]d 個のプロセスの記述子テーブルを読めませんでした (%[2]s、%[3]s): %[3]s のソケットの所有者は不明または一部のみです"},
		MsgGapNetlinkRefuse: {En: "sock_diag netlink was refused (%[1]s), /proc/net read instead: socket cookies, bound devices and IPV6_V6ONLY are unknown (the host default is assumed)", Ja: "sock_diag netlink が拒否されたため (%[1]s) /proc/net を読みました。ソケット cookie、バインド先デバイス、IPV6_V6ONLY は分かりません (ホストの既定値を仮定)"},

		// Gaps by area and reason; the arguments are named in gapTexts.
		MsgGapPrivilegeUnknown:   {En: "could not tell what this run may see: %[1]s", Ja: "この実行で何が見えるか判定できません: %[1]s"},
		MsgGapSocketsUnreadable:  {En: "the sockets of network namespace %[1]s could not be listed: %[2]s", Ja: "ネットワーク名前空間 %[1]s のソケットを一覧できません: %[2]s"},
		MsgGapIfacesUnreadable:   {En: "the interfaces of network namespace %[1]s could not be listed (%[2]s): single-address sockets are shown without their interface", Ja: "ネットワーク名前空間 %[1]s のインターフェイスを一覧できません (%[2]s): 特定アドレスのソケットはインターフェイス名なしで表示します"},
		MsgGapNetNSUnreadable:    {En: "network namespace %[1]s could not be entered", Ja: "ネットワーク名前空間 %[1]s に入れません"},
		MsgGapReadError:          {En: "reading the descriptor tables of %[1]s processes failed, the first: PID %[2]s: %[3]s", EnOne: "reading the descriptor table of %[1]s process failed: PID %[2]s: %[3]s", Ja: "%[1]s 個のプロセスの記述子テーブルの読み取りに失敗しました。最初: PID %[2]s: %[3]s"},
		MsgGapProcessesVanished:  {En: "%[1]s processes exited before their descriptor tables could be read", EnOne: "%[1]s process exited before its descriptor table could be read", Ja: "%[1]s 個のプロセスが記述子テーブルを読む前に終了しました"},
		MsgGapOwnersVanished:     {En: "%[1]s processes held a listed socket but exited or were replaced during the scan; they are not named", EnOne: "%[1]s process held a listed socket but exited or was replaced during the scan; it is not named", Ja: "一覧のソケットを持っていた %[1]s 個のプロセスが走査中に終了または入れ替わりました (名前は表示しません)"},
		MsgGapOwnersChanged:      {En: "%[1]s holdings of a listed socket were closed or replaced during the scan; they are not named", EnOne: "%[1]s holding of a listed socket was closed or replaced during the scan; it is not named", Ja: "一覧のソケットの保持 %[1]s 件が走査中に閉じられたか入れ替わりました (名前は表示しません)"},
		MsgGapDetails:            {En: "%[1]s owner details (command line, executable, user) could not be read, the first: %[2]s", EnOne: "%[1]s owner detail (command line, executable, user) could not be read: %[2]s", Ja: "所有プロセスの詳細 (コマンドライン、実行ファイル、ユーザ) %[1]s 件を読めませんでした。最初: %[2]s"},
		MsgGapTruncated:          {En: "%[1]s command lines or status files were longer than %[2]s bytes and were cut", EnOne: "%[1]s command line or status file was longer than %[2]s bytes and was cut", Ja: "%[1]s 個のコマンドラインまたは status ファイルが %[2]s バイトを超えたため切り詰めました"},
		MsgGapNetNSPermission:    {En: "the network namespace of %[1]s processes could not be read", EnOne: "the network namespace of %[1]s process could not be read", Ja: "%[1]s 個のプロセスのネットワーク名前空間を読めませんでした"},
		MsgGapSockDiagUnavail:    {En: "the kernel has no sock_diag handler for %[1]s (%[2]s): such sockets were not listed", Ja: "カーネルに %[1]s の sock_diag ハンドラがありません (%[2]s): それらのソケットは一覧にありません"},
		MsgGapToolFailed:         {En: "%[1]s failed, so no owner is known: %[2]s", Ja: "%[1]s が失敗したため所有プロセスは分かりません: %[2]s"},
		MsgGapUnparsedLines:      {En: "%[1]s lines of %[2]s output were not understood, the first: %[3]s", EnOne: "%[1]s line of %[2]s output was not understood: %[3]s", Ja: "%[2]s の出力の %[1]s 行を解釈できませんでした。最初: %[3]s"},
		MsgGapNotRoot:            {En: "%[1]s ran as uid %[2]s and shows only that user's processes", Ja: "%[1]s は uid %[2]s で実行され、そのユーザのプロセスしか表示しません"},
		MsgGapLsofFailed:         {En: "%[1]s could not be used (%[2]s); netstat -anv shows one process per socket, so other holders may be missing", Ja: "%[1]s を使えませんでした (%[2]s)。netstat -anv はソケットごとに 1 プロセスしか示さないため、他の保持プロセスが欠けている可能性があります"},
		MsgGapNoProcessColumn:    {En: "the owners of %[1]d sockets are unknown: the %[2]s output has no process column (run %[2]s with -p; netstat on macOS with -v)", EnOne: "the owner of %[1]d socket is unknown: the %[2]s output has no process column (run %[2]s with -p; netstat on macOS with -v)", Ja: "ソケット %[1]d 個の所有プロセスは不明です: %[2]s の出力にプロセスの列がありません (%[2]s に -p を付けて実行してください。macOS の netstat は -v)"},
		MsgGapToolCouldNotSee:    {En: "%[2]s showed no process for %[1]d sockets: kernel sockets, or processes it could not see", EnOne: "%[2]s showed no process for %[1]d socket: a kernel socket, or a process it could not see", Ja: "%[2]s はソケット %[1]d 個のプロセスを示しませんでした: カーネルのソケットか、見えなかったプロセスです"},
		MsgGapPermissionDenied:   {En: "%[2]s could not read the open files of %[1]d processes (permission denied): their sockets are missing and owner lists may be incomplete", EnOne: "%[2]s could not read the open files of %[1]d process (permission denied): its sockets are missing and owner lists may be incomplete", Ja: "%[2]s は %[1]d 個のプロセスの開いているファイルを読めませんでした (権限なし): それらのソケットは欠けており、所有プロセスの一覧は不完全な可能性があります"},
		MsgGapOtherNamespace:     {En: "%[2]s listed %[1]d internet sockets without their addresses: they live in other network namespaces (containers); run it inside each namespace, or openports live", EnOne: "%[2]s listed %[1]d internet socket without its address: it lives in another network namespace (a container); run it inside that namespace, or openports live", Ja: "%[2]s はアドレスなしのインターネットソケットを %[1]d 個示しました: 他のネットワーク名前空間 (コンテナ) のものです。各名前空間の中で実行するか、openports をその場で実行してください"},
		MsgGapNoOwnerInOutput:    {En: "%[2]s: %[1]s sockets have no holder with the same address and port in the %[3]s output", EnOne: "%[2]s: %[1]s socket has no holder with the same address and port in the %[3]s output", Ja: "%[2]s: ソケット %[1]s 個は %[3]s の出力に同じアドレスとポートの保持プロセスがありません"},
		MsgGapMixedOS:            {En: "the outputs come from different operating systems; they were joined all the same", Ja: "出力は異なる OS のものですが、そのまま結合しました"},
		MsgGapCheckIfaces:        {En: "the interfaces could not be listed: %[1]s", Ja: "インターフェイスを一覧できません: %[1]s"},
		MsgGapCheckRoutes:        {En: "the routing table could not be read: %[1]s", Ja: "経路表を読めません: %[1]s"},
		MsgGapCheckCollect:       {En: "the port listing failed: %[1]s", Ja: "ポート一覧の取得に失敗しました: %[1]s"},
		MsgGapCheckResolvConf:    {En: "the resolver configuration could not be read: %[1]s", Ja: "リゾルバの設定を読めません: %[1]s"},
		MsgGapCheckListeners:     {En: "the listening sockets could not be read: %[1]s", Ja: "待ち受けソケットを読めません: %[1]s"},
		MsgGapNoAddress:          {En: "%[2]s printed %[1]d internet sockets without an address (unbound sockets, or an fstat that never prints addresses, such as FreeBSD's: use sockstat there)", EnOne: "%[2]s printed %[1]d internet socket without an address (an unbound socket, or an fstat that never prints addresses, such as FreeBSD's: use sockstat there)", Ja: "%[2]s がアドレスなしのインターネットソケットを %[1]d 個表示しました (未バインドのソケットか、FreeBSD のようにアドレスを表示しない fstat です。その場合は sockstat を使ってください)"},
		MsgGapDNSNoConfig:        {En: "the resolver configuration could not be read, so no nameserver was asked", Ja: "リゾルバの設定を読めないため、どのネームサーバにも問い合わせていません"},
		MsgGapDNSNoName:          {En: "no name to resolve: give --resolve NAME", Ja: "解決する名前がありません: --resolve 名前 を指定してください"},
		MsgGapLinesNotUnderstood: {En: "%[1]d lines of the input were not understood, in whole or in part (see the warnings): what they held may not all be in this view", EnOne: "%[1]d line of the input was not understood, in whole or in part (see the warnings): what it held may not all be in this view", Ja: "入力の %[1]d 行の全部または一部を解釈できませんでした (警告を参照): その内容がすべてこの結果に含まれているとは限りません"},
		MsgGapOnePIDPerSocket:    {En: "%[2]s -p shows one process per socket: for %[1]d sockets, processes that share them (forked servers, inherited descriptors) are not shown (fstat, sockstat, lsof or ss -p show them all)", Ja: "%[2]s -p はソケットごとに 1 プロセスしか示しません: ソケット %[1]d 個について、共有しているプロセス (fork したサーバ、継承した記述子) は表示されていません (fstat、sockstat、lsof、ss -p ならすべて表示します)"},
		MsgGapNoListeners:        {En: "this %[1]s output leaves listening sockets out (it was run without -a), so it cannot show them; run %[2]s", Ja: "この %[1]s の出力には待ち受けソケットが含まれません (-a なしで実行されたため): %[2]s を実行してください"},
		MsgGapToolError:          {En: "%[1]s reported an error for one of its socket dumps (%[2]s): some sockets may be missing from its output", Ja: "%[1]s がソケットの一覧の取得でエラーを報告しました (%[2]s): 出力から一部のソケットが欠けている可能性があります"},
		MsgGapSockDiagFailed:     {En: "sock_diag could not list network namespace %[1]s (%[2]s): /proc/net was read instead, which does not give socket cookies, bound devices or IPV6_V6ONLY (the host default is assumed)", Ja: "sock_diag でネットワーク名前空間 %[1]s を一覧できません (%[2]s)。代わりに /proc/net を読みました。ソケット cookie、バインド先デバイス、IPV6_V6ONLY は分かりません (ホストの既定値を仮定)"},
		MsgGapNetNSListFailed:    {En: "the processes' network namespaces could not be listed (%[1]s): only those ip netns names were listed", Ja: "プロセスのネットワーク名前空間を一覧できません (%[1]s): ip netns で名前の付いたものだけを一覧しました"},
		MsgGapNetNSEnter:         {En: "network namespace %[1]s could not be entered (%[2]s): its sockets were not listed", Ja: "ネットワーク名前空間 %[1]s に入れません (%[2]s): そのソケットは一覧にありません"},
		MsgGapNetNSDenied:        {En: "the network namespaces of %[1]d processes could not be read: their sockets were not listed", EnOne: "the network namespace of %[1]d process could not be read: its sockets were not listed", Ja: "%[1]d 個のプロセスのネットワーク名前空間を読めません: そのソケットは一覧にありません"},
		MsgGapNetNSHidden:        {En: "network namespaces that only processes hidden from this run live in were not found", Ja: "この実行から見えないプロセスだけが属するネットワーク名前空間は見つけられません"},
		MsgGapPIDNamespace:       {En: "%[1]d sockets of unseen owner: owners outside this PID namespace are invisible (/proc lists only its processes)", EnOne: "%[1]d socket of unseen owner: owners outside this PID namespace are invisible (/proc lists only its processes)", Ja: "所有プロセスが見えないソケットが %[1]d 個あります。この PID 名前空間の外側の所有プロセスは見えません (/proc はその中のプロセスしか示しません)"},
		MsgReasonPIDNamespace:    {En: "socket of uid %[1]s%[2]s; owners outside this PID namespace are invisible: /proc lists only its processes (run in the host's PID namespace)", Ja: "uid %[1]s%[2]s のソケット。この PID 名前空間の外側の所有プロセスは見えません: /proc はその中のプロセスしか示しません (ホストの PID 名前空間で実行してください)"},
		MsgGapUnheld:             {En: "%[1]d sockets of users other than root held by no descriptor table: kernel sockets of tunnel devices made in a user namespace (VXLAN, Geneve, FOU, WireGuard), or sockets in flight between processes (SCM_RIGHTS) or registered with an io_uring; their holders are unknown", EnOne: "%[1]d socket of a user other than root held by no descriptor table: the kernel socket of a tunnel device made in a user namespace (VXLAN, Geneve, FOU, WireGuard), or a socket in flight between processes (SCM_RIGHTS) or registered with an io_uring; its holder is unknown", Ja: "root 以外のユーザのソケット %[1]d 個は、どの記述子テーブルにもありません。ユーザ名前空間で作られたトンネルデバイス (VXLAN, Geneve, FOU, WireGuard) のカーネルソケットか、プロセス間で受け渡し中 (SCM_RIGHTS) か io_uring に登録されたソケットで、保持するものは不明です"},
		MsgReasonUnheld:          {En: "socket of uid %[1]s%[2]s; no descriptor table holds it: a kernel socket of a tunnel device made in a user namespace of that user (VXLAN, Geneve, FOU, WireGuard), or a socket held out of sight (in flight over a Unix socket, or registered with an io_uring)", Ja: "uid %[1]s%[2]s のソケット。どの記述子テーブルにもありません: そのユーザのユーザ名前空間で作られたトンネルデバイス (VXLAN, Geneve, FOU, WireGuard) のカーネルソケットか、見えない所で保持されたソケット (Unix ソケットで受け渡し中か、io_uring に登録済み) です"},
		MsgGapRouteLocalnet:      {En: "whether network namespace %[1]s takes packets for 127.0.0.0/8 from other machines (route_localnet) could not be read (%[2]s): its loopback sockets may be reachable", Ja: "ネットワーク名前空間 %[1]s が他のマシンから 127.0.0.0/8 宛てのパケットを受け取るか (route_localnet) を読めませんでした (%[2]s): ループバックのソケットに届く可能性があります"},
		MsgGapNetNSUnlisted:      {En: "network namespaces wired to listed ones were found neither through a process nor ip netns (%[1]s): their sockets were not listed", Ja: "一覧にある名前空間につながるネットワーク名前空間が、プロセスからも ip netns からも見つかりません (%[1]s): そのソケットは一覧にありません"},
		MsgGapNSIDUnreadable:     {En: "the NSIDs of listed network namespaces could not be read (%[1]s): a namespace wired to one of them that no process or ip netns name shows would go unnoticed, and its sockets unlisted", Ja: "一覧にあるネットワーク名前空間の NSID を読めませんでした (%[1]s): それにつながり、プロセスからも ip netns からも見えない名前空間があっても気づかず、そのソケットは一覧に載りません"},
		MsgGapTransparentUnread:  {En: "IP_TRANSPARENT could not be read in network namespace %[2]s (sock_diag gives socket options from Linux 5.10 on, /proc/net never), and its firewall has TPROXY rules (%[3]s), which hand a transparent socket connections from other machines: whether its %[1]d loopback listeners are reachable is unknown", EnOne: "IP_TRANSPARENT could not be read in network namespace %[2]s (sock_diag gives socket options from Linux 5.10 on, /proc/net never), and its firewall has TPROXY rules (%[3]s), which hand a transparent socket connections from other machines: whether its %[1]d loopback listener is reachable is unknown", Ja: "ネットワーク名前空間 %[2]s では IP_TRANSPARENT を読めず (sock_diag がソケットオプションを返すのは Linux 5.10 以降、/proc/net は返しません)、ファイアウォールに TPROXY ルールがあります (%[3]s)。TPROXY は透過ソケットに他のマシンからの接続を渡すため、ループバックで待ち受ける %[1]d 個のソケットに届くかどうかは不明です"},
		MsgGapOther:              {En: "%[1]s (%[2]s: %[3]s)", Ja: "%[2]s の一部が見えません (%[3]s)。未翻訳の英語の説明: %[1]s"},
		MsgGapOldArgs:            {En: "%[1]s (%[2]s: %[3]s)", Ja: "%[2]s の一部が見えません (%[3]s)。古い版が保存した英語の説明 (未翻訳): %[1]s"},

		MsgProvenanceEnabled:    {En: "enabled: %[1]s", Ja: "管理者が有効化: %[1]s"},
		MsgProvenanceDefault:    {En: "RUNNING BY DEFAULT, not enabled by you: %[1]s", Ja: "既定で起動 (管理者は有効化していない): %[1]s"},
		MsgProvenanceNotEnabled: {En: "not enabled (%[2]s): %[1]s", Ja: "有効化されていない (%[2]s): %[1]s"},
		MsgProvenanceUnknown:    {En: "start unknown (%[2]s): %[1]s", Ja: "起動元不明 (%[2]s): %[1]s"},

		MsgProvReasonDisabled:         {En: "set to NO, started by hand", Ja: "NO に設定、手動で起動"},
		MsgProvReasonUnset:            {En: "not set in rc.conf, started by hand", Ja: "rc.conf に設定なし、手動で起動"},
		MsgProvReasonNoScript:         {En: "no rc.d script runs it, started by hand", Ja: "起動する rc.d スクリプトなし、手動で起動"},
		MsgProvReasonInetdCommented:   {En: "inetd.conf line commented out, inetd not reloaded", Ja: "inetd.conf の行はコメントアウト済み、inetd が再読み込みされていない"},
		MsgProvReasonSession:          {En: "started in a login session", Ja: "ログインセッションで起動"},
		MsgProvReasonCron:             {En: "started by cron", Ja: "cron から起動"},
		MsgProvReasonContainer:        {En: "in a container", Ja: "コンテナ内"},
		MsgProvReasonTransient:        {En: "transient unit, started by hand", Ja: "一時ユニット、手動で起動"},
		MsgProvReasonWantedBy:         {En: "pulled in by another unit", Ja: "他のユニットが依存"},
		MsgProvReasonNotEnabled:       {En: "unit not enabled, started by hand", Ja: "ユニット未有効化、手動で起動"},
		MsgProvReasonSocketActivation: {En: "socket activation", Ja: "ソケット起動"},
		MsgProvReasonNoUnit:           {En: "no unit", Ja: "ユニットなし"},
		MsgProvReasonNoCgroup:         {En: "cgroup unreadable", Ja: "cgroup を読めない"},
		MsgProvReasonUnreadable:       {En: "the value is neither YES nor NO, which rc.subr takes as NO", Ja: "値が YES でも NO でもない (rc.subr は NO とみなす)"},
		MsgProvReasonNoConfig:         {En: "no init configuration", Ja: "init の設定なし"},
		MsgProvReasonShellCode:        {En: "the value comes from shell code openports does not run", Ja: "値は openports が実行しないシェルのコードで決まる"},
		MsgProvReasonConditional:      {En: "set only under a condition of the shell code", Ja: "シェルのコードの条件下でのみ設定"},
		MsgProvReasonDefaultsDisabled: {En: "disabled in the defaults and not enabled in rc.conf, started by hand", Ja: "既定で無効、rc.conf でも有効化されていない、手動で起動"},

		MsgPolicyNew:      {En: "NOT IN POLICY: new listener %[1]s", Ja: "ポリシー外: 新しい待ち受け %[1]s"},
		MsgPolicyExposure: {En: "EXPOSURE CHANGED: policy %[1]s allows %[2]s, now %[3]s", Ja: "公開範囲が変化: ポリシー %[1]s では %[2]s、現在は %[3]s"},
		MsgPolicyOwner:    {En: "OWNER CHANGED: policy %[1]s allows %[2]s, now %[3]s", Ja: "所有者が変化: ポリシー %[1]s では %[2]s、現在は %[3]s"},
		MsgPolicyMissing:  {En: "MISSING: %[2]s (policy %[1]s) does not listen", Ja: "見つかりません: %[2]s (ポリシー %[1]s) が待ち受けていません"},
		MsgPolicyOwnerUnknown: {En: "NOT PROVEN: %[1]s: policy %[2]s allows it only for %[3]s, and its owner could not be seen: %[4]s",
			Ja: "未確認: %[1]s: ポリシー %[2]s は %[3]s にのみ許可していますが、所有プロセスを確認できません: %[4]s"},

		MsgCheckSection:    {En: "== %[1]s: %[2]s (%[3]s)", Ja: "== %[1]s: %[2]s (%[3]s)"},
		MsgCheckOK:         {En: "ok", Ja: "正常"},
		MsgCheckWarning:    {En: "warning", Ja: "警告"},
		MsgCheckProblem:    {En: "problem", Ja: "問題"},
		MsgCheckGap:        {En: "gap", Ja: "欠落"},
		MsgCheckWhy:        {En: "why:", Ja: "理由:"},
		MsgCheckExpected:   {En: "expected:", Ja: "期待値:"},
		MsgCheckActual:     {En: "actual:", Ja: "実際:"},
		MsgCheckLookAt:     {En: "look at:", Ja: "確認先:"},
		MsgCheckSummary:    {En: "%[1]d checks: %[2]d with problems, %[3]d with warnings, %[4]d incomplete; exit %[5]d", Ja: "チェック %[1]d 件: 問題 %[2]d 件、警告 %[3]d 件、不完全 %[4]d 件; 終了コード %[5]d"},
		MsgCheckPortsTitle: {En: "== port listing", Ja: "== ポート一覧"},

		// The first part of a check's summary, by hostcheck.Check.SummaryCode,
		// and the counts after it.
		MsgSumInterfaces:     {En: "%[1]d interfaces", EnOne: "%[1]d interface", Ja: "インターフェイス %[1]d 個"},
		MsgSumInterfacesNone: {En: "interfaces could not be listed", Ja: "インターフェイスを一覧できません"},
		MsgSumRoutes:         {En: "%[1]d routes", EnOne: "%[1]d route", Ja: "経路 %[1]d 個"},
		MsgSumRoutesNone:     {En: "the routing table could not be read", Ja: "経路表を読めません"},
		MsgSumPorts:          {En: "%[1]d reachable service lines", EnOne: "%[1]d reachable service line", Ja: "到達できるサービスの行 %[1]d 個"},
		MsgSumPortsFailed:    {En: "the port listing failed", Ja: "ポート一覧の取得に失敗"},
		MsgSumResolvConf:     {En: "%[2]s, %[1]d nameservers", EnOne: "%[2]s, %[1]d nameserver", Ja: "%[2]s、ネームサーバ %[1]d 個"},
		MsgSumResolvConfFile: {En: "%[1]s", Ja: "%[1]s"},
		MsgSumDNSNotRun:      {En: "not run", Ja: "未実行"},
		MsgSumDNSNoName:      {En: "no name to resolve", Ja: "解決する名前がありません"},
		MsgSumDNSAsked:       {En: "%[1]d nameservers asked for %[2]s", EnOne: "%[1]d nameserver asked for %[2]s", Ja: "ネームサーバ %[1]d 個に %[2]s を問い合わせ"},
		MsgSumProblems:       {En: "%[1]d problems", EnOne: "%[1]d problem", Ja: "問題 %[1]d 件"},
		MsgSumWarnings:       {En: "%[1]d warnings", EnOne: "%[1]d warning", Ja: "警告 %[1]d 件"},
		MsgSumGaps:           {En: "%[1]d gaps", EnOne: "%[1]d gap", Ja: "欠落 %[1]d 件"},
		MsgSumAllOK:          {En: "all ok", Ja: "すべて正常"},

		// The port listing's findings in check; the arguments are the
		// protocol and port, the address, the process and the service.
		MsgPortsSummary:       {En: "%[1]d lines other machines can reach; look hard at each one", EnOne: "%[1]d line other machines can reach; look hard at it", Ja: "他のマシンから到達できる行が %[1]d 個あります。一つずつよく確認してください"},
		MsgPortsDangerous:     {En: "%[1]s on %[2]s (%[3]s, %[4]s) is dangerous where other machines can reach it", Ja: "%[2]s の %[1]s (%[3]s、%[4]s) は他のマシンから到達できると危険です"},
		MsgPortsDangerousWhy:  {En: "its risk at this exposure is dangerous", Ja: "この公開範囲での危険度は「危険」です"},
		MsgPortsRisky:         {En: "%[1]s on %[2]s (%[3]s, %[4]s) is risky where other machines can reach it", Ja: "%[2]s の %[1]s (%[3]s、%[4]s) は他のマシンから到達できると要注意です"},
		MsgPortsRiskyWhy:      {En: "its risk at this exposure is risky", Ja: "この公開範囲での危険度は「要注意」です"},
		MsgPortsHintExplain:   {En: "openports explain %[4]s says how to restrict or turn it off", Ja: "制限・停止の方法: openports explain %[4]s"},
		MsgPortsUnknownOwner:  {En: "%[1]s on %[2]s (%[3]s, %[4]s): its owners could not all be seen", Ja: "%[2]s の %[1]s (%[3]s、%[4]s): 所有プロセスをすべては確認できません"},
		MsgPortsUnknownWhy:    {En: "a socket nobody can name the owner of may be anything", Ja: "所有プロセスが分からないソケットは何であってもおかしくありません"},
		MsgPortsPolicy:        {En: "%[1]s on %[2]s (%[3]s, %[4]s) differs from the policy", Ja: "%[2]s の %[1]s (%[3]s、%[4]s) がポリシーと異なります"},
		MsgPortsPolicyWhy:     {En: "the policy does not allow it as it is", Ja: "ポリシーは現在の状態を許可していません"},
		MsgPortsHintNote:      {En: "the NOTE column of the listing below says why", Ja: "理由は下の一覧の備考欄にあります"},
		MsgPortsPolicyMissing: {En: "%[1]s is in the policy (%[2]s) but does not listen", Ja: "%[1]s はポリシー (%[2]s) にありますが待ち受けていません"},

		// What a check finding saw, by finding.Finding.Code; the arguments
		// are Finding.Args.
		MsgSubjInterfaces:          {En: "interfaces", Ja: "インターフェイス"},
		MsgSubjNames:               {En: "names", Ja: "名前"},
		MsgSubjListening:           {En: "listening sockets", Ja: "待ち受けソケット"},
		MsgSubjNameserversExpected: {En: "nameservers (expected)", Ja: "ネームサーバ (期待値)"},
		MsgSubjExpected:            {En: "%[1]s (expected)", Ja: "%[1]s (期待値)"},
		MsgSubjDefaultRoute:        {En: "default %[1]s", Ja: "%[1]s 既定経路"},
		MsgSubjNameserver:          {En: "nameserver %[1]s", Ja: "ネームサーバ %[1]s"},
		MsgSayExpAbsent:            {En: "interface %[1]s does not exist", Ja: "インターフェイス %[1]s は存在しません"},
		MsgSayExpState:             {En: "%[1]s is %[2]s", Ja: "%[1]s は %[2]s です"},
		MsgSayIfaceNone:            {En: "no network interface found", Ja: "ネットワークインターフェイスが見つかりません"},
		MsgSayIfaceNoAddr:          {En: "%[1]s no address", Ja: "%[1]s アドレスなし"},
		MsgSayIfaceTwice:           {En: "%[1]s is configured %[2]s times: on %[3]s", Ja: "%[1]s が %[2]s 回設定されています: %[3]s"},
		MsgSayExpMTU:               {En: "%[1]s has MTU %[2]s", Ja: "%[1]s の MTU は %[2]s です"},
		MsgSayExpLacks:             {En: "%[1]s lacks %[2]s", Ja: "%[1]s に %[2]s がありません"},
		MsgSayExpOK:                {En: "%[1]s is as expected", Ja: "%[1]s は期待どおりです"},
		MsgSayExpNSOK:              {En: "nameservers are as expected: %[1]s", Ja: "ネームサーバは期待どおりです: %[1]s"},
		MsgSayExpNS:                {En: "the nameservers are not the expected ones", Ja: "ネームサーバが期待したものではありません"},
		MsgSayRtNone:               {En: "no %[1]s default route", Ja: "%[1]s の既定経路がありません"},
		MsgSayRtNoneUsable:         {En: "no usable %[1]s default route: only %[2]q, which drops the traffic", Ja: "使える %[1]s の既定経路がありません: %[2]q だけで、通信は破棄されます"},
		MsgSayRtNoneNoGlobal:       {En: "no %[1]s default route (this host has no global %[1]s address either)", Ja: "%[1]s の既定経路がありません (このホストにはグローバルな %[1]s アドレスもありません)"},
		MsgSayRtNoneUsableNoGlobal: {En: "no usable %[1]s default route: only %[2]q, which drops the traffic (this host has no global %[1]s address either)", Ja: "使える %[1]s の既定経路がありません: %[2]q だけで、通信は破棄されます (このホストにはグローバルな %[1]s アドレスもありません)"},
		MsgSayRtGateway:            {En: "the %[1]s default gateway is %[2]s, not %[3]s", Ja: "%[1]s の既定ゲートウェイは %[3]s ではなく %[2]s です"},
		MsgSayDNSAnswered:          {En: "%[2]s (%[3]s) answered %[1]d queries in %[4]s", EnOne: "%[2]s (%[3]s) answered %[1]d query in %[4]s", Ja: "%[2]s (%[3]s) は %[1]d 件の問い合わせに %[4]s で応答しました"},
		MsgSayDNSSilent:            {En: "%[1]s (%[2]s) did not answer", Ja: "%[1]s (%[2]s) は応答しませんでした"},
		MsgSayDNSNames:             {En: "%[1]d names given; only the first %[2]d are asked", Ja: "名前が %[1]d 個指定されましたが、問い合わせるのは最初の %[2]d 個だけです"},
		MsgSayDNSUnresolved:        {En: "%[1]s could not be resolved: no nameserver answered", Ja: "%[1]s を解決できません: どのネームサーバも応答しませんでした"},
		MsgSayRsNoFile:             {En: "%[1]s does not exist", Ja: "%[1]s は存在しません"},
		MsgSayRsRemote:             {En: "nameserver %[1]s (%[2]s)", Ja: "ネームサーバ %[1]s (%[2]s)"},
		MsgSayRsRemoteRoute:        {En: "nameserver %[1]s (%[2]s) reached by %[3]s", Ja: "ネームサーバ %[1]s (%[2]s)、経路 %[3]s で到達"},
		MsgSayRsRoutesUnknown:      {En: "nameserver %[1]s (%[2]s); routes unknown", Ja: "ネームサーバ %[1]s (%[2]s)、経路は不明"},
		MsgSayRsLocal:              {En: "nameserver %[1]s (%[2]s) is this host", Ja: "ネームサーバ %[1]s (%[2]s) はこのホストです"},
		MsgSayRsLocalUnchecked:     {En: "nameserver %[1]s (%[2]s) is this host; whether anything listens on port 53 could not be checked", Ja: "ネームサーバ %[1]s (%[2]s) はこのホストです。ポート 53 で何かが待ち受けているかは確認できません"},
		MsgSayRsLocalListens:       {En: "nameserver %[1]s (%[2]s) is this host and a server listens on %[3]s port 53", Ja: "ネームサーバ %[1]s (%[2]s) はこのホストで、%[3]s のポート 53 でサーバが待ち受けています"},
		MsgSayRsStubUnreadable:     {En: "nameserver %[1]s (%[2]s) is this host and a server listens on %[3]s port 53; systemd-resolved's upstreams are unknown (%[4]s unreadable)", Ja: "ネームサーバ %[1]s (%[2]s) はこのホストで、%[3]s のポート 53 でサーバが待ち受けています。systemd-resolved の上流は不明です (%[4]s を読めません)"},
		MsgSayRsStubError:          {En: "nameserver %[1]s (%[2]s) is this host and a server listens on %[3]s port 53; systemd-resolved's upstreams are unknown: %[4]s", Ja: "ネームサーバ %[1]s (%[2]s) はこのホストで、%[3]s のポート 53 でサーバが待ち受けています。systemd-resolved の上流は不明です: %[4]s"},
		MsgSayRsStubNoUpstreams:    {En: "nameserver %[1]s (%[2]s) is this host and a server listens on %[3]s port 53; systemd-resolved stub with no upstream servers", Ja: "ネームサーバ %[1]s (%[2]s) はこのホストで、%[3]s のポート 53 でサーバが待ち受けています。上流サーバのない systemd-resolved のスタブです"},
		MsgSayRsStub:               {En: "nameserver %[1]s (%[2]s) is this host and a server listens on %[3]s port 53; systemd-resolved stub, upstreams %[4]s (%[5]s)", Ja: "ネームサーバ %[1]s (%[2]s) はこのホストで、%[3]s のポート 53 でサーバが待ち受けています。systemd-resolved のスタブ、上流は %[4]s (%[5]s)"},
		MsgSayDNSServerSays:        {En: "%[1]s says %[2]s", Ja: "%[1]s の答えは %[2]s"},
		MsgSayDNSNoAddress:         {En: "no address", Ja: "アドレスなし"},

		// A resolv.conf line the parser flags, by resolvconf.Problem.Code.
		MsgRCLongLine:           {En: "line longer than %[1]s bytes; the rest was not read", Ja: "%[1]s バイトを超える行です。残りは読んでいません"},
		MsgRCManyLines:          {En: "file has more than %[1]s lines; the rest was not read", Ja: "%[1]s 行を超えるファイルです。残りは読んでいません"},
		MsgRCLeadingSpace:       {En: "line starts with white space; the C library only recognises a keyword at the start of a line and ignores this line", Ja: "行頭が空白です。C ライブラリは行頭のキーワードしか認識しないため、この行は無視されます"},
		MsgRCDomainComment:      {En: "comment after the domain name; put comments on their own line", Ja: "ドメイン名の後にコメントがあります。コメントは別の行に書いてください"},
		MsgRCDomainEmpty:        {En: "domain line without a domain name", Ja: "ドメイン名のない domain 行です"},
		MsgRCDomainMany:         {En: "domain takes one name, got %[1]s; only %[2]q is used", Ja: "domain に指定できる名前は 1 つですが %[1]s 個あります。使われるのは %[2]q だけです"},
		MsgRCSearchComment:      {En: "comment after the search list; some resolvers take its words as domains", Ja: "search リストの後にコメントがあります。リゾルバによってはその単語をドメインとみなします"},
		MsgRCSearchEmpty:        {En: "search line without domains", Ja: "ドメインのない search 行です"},
		MsgRCSortlistEmpty:      {En: "sortlist line without address/netmask pairs", Ja: "アドレス/ネットマスクのない sortlist 行です"},
		MsgRCSortlistBad:        {En: "sortlist entry %[1]q is not ADDRESS or ADDRESS/NETMASK", Ja: "sortlist の項目 %[1]q は ADDRESS でも ADDRESS/NETMASK でもありません"},
		MsgRCOptionsEmpty:       {En: "options line without options", Ja: "オプションのない options 行です"},
		MsgRCLookupUnknown:      {En: "unknown lookup source %[1]q (expected bind, file or yp)", Ja: "不明な lookup の指定 %[1]q (bind、file、yp のいずれか)"},
		MsgRCFamilyUnknown:      {En: "unknown family %[1]q (expected inet4 or inet6)", Ja: "不明な family %[1]q (inet4 か inet6)"},
		MsgRCKeywordUnknown:     {En: "unknown keyword %[1]q; the resolver ignores this line", Ja: "不明なキーワード %[1]q です。リゾルバはこの行を無視します"},
		MsgRCNSEmpty:            {En: "nameserver line without an address", Ja: "アドレスのない nameserver 行です"},
		MsgRCNSMany:             {En: "nameserver takes one address, got %[1]s; only %[2]q is used", Ja: "nameserver に指定できるアドレスは 1 つですが %[1]s 個あります。使われるのは %[2]q だけです"},
		MsgRCNSNotIP:            {En: "nameserver %[1]q is not an IP address", Ja: "nameserver %[1]q は IP アドレスではありません"},
		MsgRCNSMapped:           {En: "nameserver %[1]s is an IPv4-mapped IPv6 address; write %[2]s", Ja: "nameserver %[1]s は IPv4 射影 IPv6 アドレスです。%[2]s と書いてください"},
		MsgRCNSUnspecified:      {En: "nameserver %[1]s means \"this host\"; write 127.0.0.1 or ::1 if a local server is meant", Ja: "nameserver %[1]s は「このホスト」を意味します。ローカルのサーバのつもりなら 127.0.0.1 か ::1 と書いてください"},
		MsgRCNSMulticast:        {En: "nameserver %[1]s is a multicast address", Ja: "nameserver %[1]s はマルチキャストアドレスです"},
		MsgRCNSNoZone:           {En: "link-local nameserver %[1]s has no %%interface zone", Ja: "リンクローカルの nameserver %[1]s に %%インターフェイス のゾーンがありません"},
		MsgRCNSTwice:            {En: "nameserver %[1]s is listed twice (first on line %[2]s)", Ja: "nameserver %[1]s が 2 回書かれています (最初は %[2]s 行目)"},
		MsgRCNSTooMany:          {En: "more than %[1]s nameservers: the C library ignores %[2]s", Ja: "nameserver が %[1]s 個を超えています。C ライブラリは %[2]s を無視します"},
		MsgRCDomainTwice:        {En: "domain/search already set on line %[1]s; the last one wins", Ja: "domain/search は %[1]s 行目で既に設定されています。最後のものが有効です"},
		MsgRCDomainInvalid:      {En: "%[1]q is not a valid domain name: %[2]s", Ja: "%[1]q は正しいドメイン名ではありません: %[2]s"},
		MsgRCSearchLong:         {En: "search list is %[1]s characters; older C libraries cut it at 256", Ja: "search リストは %[1]s 文字です。古い C ライブラリは 256 文字で切り詰めます"},
		MsgRCOptionUnknown:      {En: "unknown option %[1]q; the resolver ignores it", Ja: "不明なオプション %[1]q です。リゾルバは無視します"},
		MsgRCOptionNoValue:      {En: "option %[1]s needs a value (%[1]s:N)", Ja: "オプション %[1]s には値が必要です (%[1]s:N)"},
		MsgRCOptionNotNumber:    {En: "option %[1]s: %[2]q is not a number ≥ 0", Ja: "オプション %[1]s: %[2]q は 0 以上の数ではありません"},
		MsgRCOptionRange:        {En: "option %[1]s:%[2]s is out of range; the resolver caps it at %[3]s", Ja: "オプション %[1]s:%[2]s は範囲外です。リゾルバは %[3]s に制限します"},
		MsgRCOptionZero:         {En: "option %[1]s:0 is treated as 1 by some resolvers and disables queries in others", Ja: "オプション %[1]s:0 はリゾルバによって 1 とみなされたり、問い合わせを無効にしたりします"},
		MsgRCOptionValueIgnored: {En: "option %[1]s takes no value; %[2]q is ignored", Ja: "オプション %[1]s は値を取りません。%[2]q は無視されます"},

		// Why a check finding is not ok and what to look at, by
		// finding.Finding.ReasonCode; the arguments are ReasonArgs.
		MsgWhyIfaceNone:             {En: "not even a loopback interface exists", Ja: "ループバックインターフェイスさえありません"},
		MsgHintIfaceNone:            {En: "look at `ip link` (Linux) or `ifconfig -a`", Ja: "`ip link` (Linux) か `ifconfig -a` を確認してください"},
		MsgWhyIfaceLoDown:           {En: "the loopback interface is down: programs on this host cannot reach 127.0.0.1 or ::1", Ja: "ループバックインターフェイスが停止しています: このホストのプログラムは 127.0.0.1 や ::1 に到達できません"},
		MsgHintIfaceLoDown:          {En: "bring it up (`ip link set lo up`, `ifconfig lo0 up`)", Ja: "起動してください (`ip link set lo up`、`ifconfig lo0 up`)"},
		MsgWhyIfaceLoNoAddr:         {En: "the loopback interface has neither 127.0.0.1 nor ::1", Ja: "ループバックインターフェイスに 127.0.0.1 も ::1 もありません"},
		MsgHintIfaceLoNoAddr:        {En: "look at the loopback configuration (`ifconfig lo0`, `ip addr show lo`)", Ja: "ループバックの設定を確認してください (`ifconfig lo0`、`ip addr show lo`)"},
		MsgWhyIfaceDAD:              {En: "duplicate address detection failed for %[1]s: another host on the link uses it", Ja: "%[1]s の重複アドレス検出に失敗しました: リンク上の別のホストが使っています"},
		MsgHintIfaceDAD:             {En: "find the other host (`ndp -an`, `ip -6 neigh`) or change the address", Ja: "相手のホストを探す (`ndp -an`、`ip -6 neigh`) か、アドレスを変えてください"},
		MsgWhyIfaceNoCarrier:        {En: "the interface is up but has no carrier: no cable, the peer or switch port is down", Ja: "インターフェイスは起動していますがキャリアがありません: ケーブルがないか、対向やスイッチのポートが停止しています"},
		MsgHintIfaceNoCarrier:       {En: "check the cable, the switch port or the other end of the link (for a veth, its peer)", Ja: "ケーブル、スイッチのポート、リンクの対向 (veth ならペア) を確認してください"},
		MsgWhyIfaceNoAddr:           {En: "the interface is up but has no address", Ja: "インターフェイスは起動していますがアドレスがありません"},
		MsgHintIfaceNoAddr:          {En: "configure an address, or bring it down if it is unused", Ja: "アドレスを設定するか、使わないなら停止してください"},
		MsgWhyIfaceLLOnly:           {En: "only a link-local IPv6 address: hosts beyond this link cannot reach this host through it", Ja: "リンクローカル IPv6 アドレスしかありません: このリンクの外のホストはこのインターフェイス経由でこのホストに到達できません"},
		MsgHintIfaceLLOnly:          {En: "configure a global address (static, DHCP, SLAAC) if it should be reachable", Ja: "到達できるべきならグローバルアドレス (静的、DHCP、SLAAC) を設定してください"},
		MsgWhyIfaceDup:              {En: "a duplicate address makes replies leave through the wrong interface, or not at all", Ja: "アドレスが重複していると、応答が誤ったインターフェイスから出るか、まったく出ません"},
		MsgHintIfaceDup:             {En: "remove all but one (`ip addr del`, `ifconfig IF inet ADDR delete`)", Ja: "一つを残して削除してください (`ip addr del`、`ifconfig IF inet ADDR delete`)"},
		MsgWhyRouteNoneExp4:         {En: "a default route through %[1]s was expected", Ja: "%[1]s 経由の既定経路があるはずです"},
		MsgHintRouteNoneExp4:        {En: "add one (`ip route add default via GATEWAY`, `route add default GATEWAY`; NetBSD: defaultroute= in /etc/rc.conf)", Ja: "追加してください (`ip route add default via GATEWAY`、`route add default GATEWAY`、NetBSD は /etc/rc.conf の defaultroute=)"},
		MsgWhyRouteNoneExp6:         {En: "a default route through %[1]s was expected", Ja: "%[1]s 経由の既定経路があるはずです"},
		MsgHintRouteNoneExp6:        {En: "add one (`ip -6 route add default via GATEWAY`, `route add -inet6 default GATEWAY`) or check router advertisements", Ja: "追加する (`ip -6 route add default via GATEWAY`、`route add -inet6 default GATEWAY`) か、ルータ広告を確認してください"},
		MsgWhyRouteNone4:            {En: "hosts beyond the local networks cannot be reached, and cannot reach this host", Ja: "ローカルネットワークの外のホストには到達できず、向こうからも到達できません"},
		MsgHintRouteNone4:           {En: "add one (`ip route add default via GATEWAY`, `route add default GATEWAY`; NetBSD: defaultroute= in /etc/rc.conf)", Ja: "追加してください (`ip route add default via GATEWAY`、`route add default GATEWAY`、NetBSD は /etc/rc.conf の defaultroute=)"},
		MsgWhyRouteNone6:            {En: "hosts beyond the local networks cannot be reached, and cannot reach this host", Ja: "ローカルネットワークの外のホストには到達できず、向こうからも到達できません"},
		MsgHintRouteNone6:           {En: "add one (`ip -6 route add default via GATEWAY`, `route add -inet6 default GATEWAY`) or check router advertisements", Ja: "追加する (`ip -6 route add default via GATEWAY`、`route add -inet6 default GATEWAY`) か、ルータ広告を確認してください"},
		MsgWhyRouteGwUnexp:          {En: "the default gateway is not the one expected", Ja: "既定のゲートウェイが期待したものではありません"},
		MsgHintRouteGwUnexp:         {En: "fix the default route or the expectation", Ja: "既定経路か期待値を直してください"},
		MsgWhyRouteGwOffLink:        {En: "the gateway %[1]s is not on-link: no connected route covers it", Ja: "ゲートウェイ %[1]s はオンリンクではありません: それを含む直結経路がありません"},
		MsgHintRouteGwOffLink:       {En: "use a gateway inside a local subnet", Ja: "ローカルのサブネット内のゲートウェイを使ってください"},
		MsgWhyRouteIfMissing:        {En: "the route's interface %[1]s does not exist", Ja: "経路のインターフェイス %[1]s が存在しません"},
		MsgHintRouteIfMissing:       {En: "look at `ip link` or `ifconfig -a`", Ja: "`ip link` か `ifconfig -a` を確認してください"},
		MsgWhyRouteIfDown:           {En: "the route's interface %[1]s is down", Ja: "経路のインターフェイス %[1]s が停止しています"},
		MsgHintRouteIfDown:          {En: "bring %[1]s up", Ja: "%[1]s を起動してください"},
		MsgWhyRouteIfNoCarrier:      {En: "the route's interface %[1]s has no carrier", Ja: "経路のインターフェイス %[1]s にキャリアがありません"},
		MsgHintRouteIfNoCarrier:     {En: "check the cable, the switch port or the other end of the link", Ja: "ケーブル、スイッチのポート、リンクの対向を確認してください"},
		MsgWhyRouteGwOwn:            {En: "the gateway %[1]s is this host's own address on %[2]s", Ja: "ゲートウェイ %[1]s は %[2]s 上のこのホスト自身のアドレスです"},
		MsgHintRouteGwOwn:           {En: "point the default route at the router, not at this host", Ja: "既定経路はこのホストではなくルータに向けてください"},
		MsgWhyRouteGwSubnet:         {En: "the gateway %[1]s is not on-link: it is in no subnet of %[2]s", Ja: "ゲートウェイ %[1]s はオンリンクではありません: %[2]s のどのサブネットにも含まれません"},
		MsgHintRouteGwSubnet:        {En: "use a gateway inside the interface's subnet, or fix the interface's address or netmask", Ja: "インターフェイスのサブネット内のゲートウェイを使うか、インターフェイスのアドレスかネットマスクを直してください"},
		MsgWhyRouteGwSubnetOL:       {En: "the gateway %[1]s is not on-link: it is in no subnet of %[2]s; the route was forced with onlink", Ja: "ゲートウェイ %[1]s はオンリンクではありません: %[2]s のどのサブネットにも含まれません (経路は onlink で強制されています)"},
		MsgHintRouteGwSubnetOL:      {En: "use a gateway inside the interface's subnet, or fix the interface's address or netmask", Ja: "インターフェイスのサブネット内のゲートウェイを使うか、インターフェイスのアドレスかネットマスクを直してください"},
		MsgWhyExpectMismatch:        {En: "expected %[1]s, found %[2]s", Ja: "期待値 %[1]s、実際 %[2]s"},
		MsgHintExpectMismatch:       {En: "fix the host or the expectations file", Ja: "ホストか期待値のファイルを直してください"},
		MsgWhyResolvMissing:         {En: "without it the C library asks a nameserver on this host (127.0.0.1)", Ja: "これがないと C ライブラリはこのホスト上のネームサーバ (127.0.0.1) に問い合わせます"},
		MsgHintResolvMissing:        {En: "create it with your nameservers, or check the tool that manages it (resolvconf, NetworkManager, systemd-resolved, dhcpcd)", Ja: "ネームサーバを書いて作成するか、管理しているツール (resolvconf、NetworkManager、systemd-resolved、dhcpcd) を確認してください"},
		MsgHintResolvLine:           {En: "edit line %[1]s of %[2]s (see resolv.conf(5))", Ja: "%[2]s の %[1]s 行目を直してください (resolv.conf(5) を参照)"},
		MsgWhyResolvNoListener:      {En: "nothing listens on %[1]s port 53 (UDP): every lookup fails", Ja: "%[1]s のポート 53 (UDP) で何も待ち受けていません: 名前解決はすべて失敗します"},
		MsgHintResolvNoListener:     {En: "start the local nameserver (named, unbound, dnsmasq), or point resolv.conf at a reachable one", Ja: "ローカルのネームサーバ (named、unbound、dnsmasq) を起動するか、resolv.conf を到達できるものに向けてください"},
		MsgWhyResolvStubNoListener:  {En: "this is systemd-resolved's stub, but nothing listens on 127.0.0.53 port 53 (UDP): every lookup fails", Ja: "systemd-resolved のスタブですが、127.0.0.53 のポート 53 (UDP) で何も待ち受けていません: 名前解決はすべて失敗します"},
		MsgHintResolvStubNoListener: {En: "start systemd-resolved (`systemctl status systemd-resolved`), or point resolv.conf at a real nameserver", Ja: "systemd-resolved を起動する (`systemctl status systemd-resolved`) か、resolv.conf を実際のネームサーバに向けてください"},
		MsgWhyResolvStubNoUp:        {En: "systemd-resolved knows no upstream nameserver: only local names resolve", Ja: "systemd-resolved は上流のネームサーバを知りません: ローカルの名前しか解決できません"},
		MsgHintResolvStubNoUp:       {En: "`resolvectl status`; configure DNS= in resolved.conf or the network's DHCP", Ja: "`resolvectl status` を確認し、resolved.conf の DNS= かネットワークの DHCP を設定してください"},
		MsgWhyResolvNoRoute:         {En: "no route to %[1]s: the resolver cannot reach it", Ja: "%[1]s への経路がありません: リゾルバは到達できません"},
		MsgHintResolvNoRoute:        {En: "add a default route (see the routes check) or use a nameserver on a local network", Ja: "既定経路を追加する (routes のチェックを参照) か、ローカルネットワーク上のネームサーバを使ってください"},
		MsgWhyResolvRouteRejects:    {En: "the route to %[1]s is %[2]q: the resolver cannot reach it", Ja: "%[1]s への経路は %[2]q です: リゾルバは到達できません"},
		MsgHintResolvRouteRejects:   {En: "fix the route or use another nameserver", Ja: "経路を直すか、別のネームサーバを使ってください"},
		MsgWhyDNSTooMany:            {En: "the number of queries is bounded", Ja: "問い合わせの数には上限があります"},
		MsgHintDNSTooMany:           {En: "give fewer --resolve names", Ja: "--resolve の名前を減らしてください"},
		MsgWhyDNSTimeout:            {En: "no reply within %[1]s (%[2]s)", Ja: "%[1]s 以内に応答がありません (%[2]s)"},
		MsgHintDNSTimeout:           {En: "is the server running, and does a firewall let port 53 through? Try `dig @%[3]s %[4]s`", Ja: "サーバは動いていますか、ファイアウォールはポート 53 を通しますか? `dig @%[3]s %[4]s` を試してください"},
		MsgWhyDNSRefused:            {En: "nothing listens on port 53 there (connection refused)", Ja: "そこではポート 53 で何も待ち受けていません (接続拒否)"},
		MsgHintDNSRefused:           {En: "start the nameserver on %[3]s or remove it from resolv.conf", Ja: "%[3]s でネームサーバを起動するか、resolv.conf から外してください"},
		MsgWhyDNSUnreachable:        {En: "it cannot be reached: %[2]s", Ja: "到達できません: %[2]s"},
		MsgHintDNSUnreachable:       {En: "there is no route to it: see the routes check", Ja: "経路がありません: routes のチェックを参照してください"},
		MsgWhyDNSFailed:             {En: "the query failed: %[2]s", Ja: "問い合わせに失敗しました: %[2]s"},
		MsgHintDNSFailed:            {En: "look at the network path to the server", Ja: "サーバまでのネットワーク経路を確認してください"},
		MsgWhyDNSNoAnswer:           {En: "no configured nameserver answered", Ja: "設定されたネームサーバはどれも応答しませんでした"},
		MsgHintDNSNoAnswer:          {En: "see the nameserver findings above", Ja: "上のネームサーバの結果を参照してください"},
		MsgWhyDNSNoAddress:          {En: "the name does not resolve to an address (%[1]s)", Ja: "名前がアドレスに解決されません (%[1]s)"},
		MsgHintDNSNoAddress:         {En: "check the name, the zone, or the nameserver's forwarders", Ja: "名前、ゾーン、ネームサーバのフォワーダを確認してください"},
		MsgWhyDNSOwnNoAddress:       {En: "the name does not resolve to an address (%[1]s)", Ja: "名前がアドレスに解決されません (%[1]s)"},
		MsgHintDNSOwnNoAddress:      {En: "this host's own name is not in the DNS; add it, or give --resolve NAME to test another name", Ja: "このホスト自身の名前が DNS にありません。追加するか、--resolve 名前 で別の名前を試してください"},
		MsgWhyDNSDifferent:          {En: "the nameservers give different answers", Ja: "ネームサーバごとに答えが異なります"},
		MsgHintDNSDifferent:         {En: "a stale or split-horizon server? Compare the servers' zones", Ja: "古いサーバかスプリットホライズンでは? サーバのゾーンを比べてください"},

		MsgDiffNew:          {En: "new", Ja: "新規"},
		MsgDiffGone:         {En: "gone", Ja: "消失"},
		MsgDiffChanged:      {En: "changed", Ja: "変化"},
		MsgDiffFieldsChange: {En: "%[1]s changed", Ja: "%[1]sが変化"},
		MsgDiffFieldOwners:  {En: "owners", Ja: "所有プロセス"},
		MsgDiffFieldExpo:    {En: "exposure", Ja: "公開範囲"},
		MsgDiffFieldState:   {En: "state", Ja: "状態"},
		MsgDiffEphemeral:    {En: "ephemeral port", Ja: "エフェメラルポート"},
		MsgDiffFieldTarget:  {En: "target", Ja: "転送先"},
		MsgDiffPublished:    {En: "published by DNAT (%[1]s): not filtered by INPUT rules", Ja: "DNAT で公開 (%[1]s): INPUT ルールで遮断されません"},
		MsgDiffSummary:      {En: "%[1]d new · %[2]d gone · %[3]d changed (%[4]s %[5]s → %[6]s %[7]s)", Ja: "新規 %[1]d · 消失 %[2]d · 変化 %[3]d (%[4]s %[5]s → %[6]s %[7]s)"},
		MsgDiffNote:         {En: "note: %[1]s", Ja: "注意: %[1]s"},
		MsgDiffOtherHost:    {En: "the snapshots are of different hosts (%[1]s, %[2]s): namespaces and owners are not comparable", Ja: "別のホストのスナップショットです (%[1]s、%[2]s): 名前空間と所有プロセスは比較できません"},
		MsgDiffGaps:         {En: "a snapshot has gaps (owners or sockets it could not see): an owner change may be a change in what could be seen", Ja: "スナップショットに欠落があります (見えなかった所有プロセスやソケット): 所有プロセスの変化は見え方の違いかもしれません"},
		MsgOwnersUnknown:    {En: "unknown", Ja: "不明"},
		MsgOwnersNone:       {En: "none (kernel)", Ja: "なし (カーネル)"},
		MsgOwnersHidden:     {En: "+hidden", Ja: "+非表示"},
		MsgEphemeralExplain: {En: "ephemeral port: %[1]s", Ja: "エフェメラルポート: %[1]s"},

		MsgWatchNew:          {En: "new", Ja: "新規"},
		MsgWatchGone:         {En: "gone", Ja: "消失"},
		MsgWatchOwnerChanged: {En: "owner-changed", Ja: "所有者変化"},
		MsgWatchUser:         {En: "user %[1]s", Ja: "ユーザ %[1]s"},
		MsgWatchWas:          {En: "(was %[1]s)", Ja: "(以前は %[1]s)"},
		MsgWatchLived:        {En: "lived %[1]s", Ja: "存続 %[1]s"},
		MsgWatchLivedAtLeast: {En: "lived ≥%[1]s", Ja: "存続 %[1]s 以上"},
		MsgWatchLivedShort:   {En: "lived less than a poll interval", Ja: "存続はポーリング間隔未満"},
		MsgWatchEphemeral:    {En: "ephemeral", Ja: "エフェメラル"},
		MsgWatchNetNS:        {En: "netns %[1]s", Ja: "netns %[1]s"},
		MsgWatchNoProcess:    {En: "no process", Ja: "プロセスなし"},
		MsgWatchOwnerUnknown: {En: "owner unknown", Ja: "所有プロセス不明"},
		MsgWatchStart:        {En: "watching listening and bound sockets of this network namespace (mode %[1]s, every %[2]s); Ctrl-C stops and prints a summary", Ja: "このネットワーク名前空間の待ち受け・バインド済みソケットを監視中 (モード %[1]s、間隔 %[2]s)。Ctrl-C で停止して集計を表示"},
		MsgWatchStartAll:     {En: "watching listening and bound sockets of every network namespace (mode %[1]s, every %[2]s); Ctrl-C stops and prints a summary", Ja: "すべてのネットワーク名前空間の待ち受け・バインド済みソケットを監視中 (モード %[1]s、間隔 %[2]s)。Ctrl-C で停止して集計を表示"},
		MsgWatchSummary:      {En: "watched %[1]s (%[2]s%[3]s): %[4]d sockets at start, %[5]d new (%[6]d with their owner), %[7]d gone, %[8]d owner changes, %[9]d polls", Ja: "監視 %[1]s (%[2]s%[3]s): 開始時のソケット %[4]d 個、新規 %[5]d (所有プロセス判明 %[6]d)、消失 %[7]d、所有者変化 %[8]d、ポーリング %[9]d 回"},
		MsgWatchNamespaces:   {En: ", %[1]d network namespaces", Ja: "、ネットワーク名前空間 %[1]d 個"},
		MsgWatchLost:         {En: ", %[1]d eBPF records lost", Ja: "、失われた eBPF レコード %[1]d 件"},
		MsgWatchError:        {En: "error (%[1]d times): %[2]s", Ja: "エラー (%[1]d 回): %[2]s"},
		MsgWatchPolicy: {En: "policy %[1]s: %[2]d violations, %[3]d sockets not proven allowed (a rule names their owner, which could not be seen), %[4]d repeats not reported again",
			Ja: "ポリシー %[1]s: 違反 %[2]d 件、許可を確認できないソケット %[3]d 個 (規則が指定する所有プロセスを確認できません)、再報告しなかった重複 %[4]d 件"},

		MsgWatchPolicyExposure: {En: "policy %[1]s: %[2]d loopback sockets not proven allowed (a rule allows them only as loopback, and whether other machines reach them could not be told)",
			Ja: "ポリシー %[1]s: 許可を確認できないループバックのソケット %[2]d 個 (規則はループバックとしてのみ許可していますが、他のマシンから届くかを確認できません)"},

		MsgXPorts:      {En: "Ports", Ja: "ポート"},
		MsgXAlso:       {En: "Also uses", Ja: "他に使うポート"},
		MsgXProcs:      {En: "Processes", Ja: "プロセス名"},
		MsgXPortOnly:   {En: "(identified by port only)", Ja: "(ポート番号のみで識別)"},
		MsgXWhat:       {En: "What it is", Ja: "概要"},
		MsgXWhy:        {En: "Why exposure matters", Ja: "公開するとどうなるか"},
		MsgXSeverity:   {En: "Severity by exposure", Ja: "公開範囲ごとの危険度"},
		MsgXRestrict:   {En: "To restrict it", Ja: "アクセスを制限するには"},
		MsgXStop:       {En: "To turn it off", Ja: "停止・無効化するには"},
		MsgXSources:    {En: "Sources", Ja: "出典"},
		MsgXKindProto:  {En: "protocol served by several programs", Ja: "複数のプログラムが提供するプロトコル"},
		MsgXKindRelay:  {En: "starts or forwards other services", Ja: "他のサービスを起動・中継するプログラム"},
		MsgXKindRuntim: {En: "language runtime: the program it runs decides the service", Ja: "言語ランタイム (サービスの正体は動かしているプログラム次第)"},

		MsgWarning:              {En: "warning: %[1]s", Ja: "警告: %[1]s"},
		MsgWarnIncomplete:       {En: "the view is incomplete: rules of sockets of unknown owner name no process", Ja: "見えていない部分があります: 所有プロセス不明のソケットの規則にはプロセス名がありません"},
		MsgWarnRunAsRoot:        {En: "run as root to see every owner", Ja: "すべての所有プロセスを見るには root で実行してください"},
		MsgWarnMoreOmitted:      {En: "%[1]d more warnings not shown", EnOne: "%[1]d more warning not shown", Ja: "他に警告 %[1]d 件 (表示を省略)"},
		MsgAnalyzeNotUnderstood: {En: "%[1]d lines not understood", EnOne: "%[1]d line not understood", Ja: "解釈できない行が %[1]d 行"},
		MsgAnalyzeSkipped:       {En: "(skipped; --strict makes this an error)", Ja: "(読み飛ばしました。--strict でエラーになります)"},
		MsgAnalyzeConnected:     {En: "%[1]d connected sockets left out (--established keeps them)", EnOne: "%[1]d connected socket left out (--established keeps it)", Ja: "接続済みのソケット %[1]d 個を除外 (--established で残します)"},
		MsgAnalyzeForced:        {En: "(--format)", Ja: "(--format で指定)"},
		MsgAnalyzeScore:         {En: "(score %[1]d)", Ja: "(スコア %[1]d)"},
		MsgAnalyzeScoreAlso:     {En: "(score %[1]d; also %[2]s)", Ja: "(スコア %[1]d、他の候補 %[2]s)"},
		MsgAnalyzeAfter:         {En: "after %[1]q", Ja: "(%[1]q の出力)"},
		MsgAnalyzeMoreParts:     {En: "... %[1]d more parts not shown", EnOne: "... %[1]d more part not shown", Ja: "... 他に %[1]d 区間 (表示を省略)"},
		MsgAnalyzeJoined: {En: "joined: %[2]s (%[3]s): %[1]d sockets matched by address and port to owners from %[4]s, %[5]d without a holder there",
			EnOne: "joined: %[2]s (%[3]s): %[1]d socket matched by address and port to owners from %[4]s, %[5]d without a holder there",
			Ja:    "結合: %[2]s (%[3]s): ソケット %[1]d 個を %[4]s の所有プロセスにアドレスとポートで対応付け、%[5]d 個はそこに保持プロセスなし"},
		MsgAnalyzeMoreJoined:       {En: "... %[1]d more joined parts not shown", EnOne: "... %[1]d more joined part not shown", Ja: "... 他に結合した区間 %[1]d 個 (表示を省略)"},
		MsgViolationNew:            {En: "%[1]s port %[2]s on %[3]s (%[4]s) held by %[5]s: not in the policy", Ja: "%[3]s (%[4]s) の %[1]s ポート %[2]s、保持プロセス %[5]s: ポリシーにありません"},
		MsgViolationExposure:       {En: "%[1]s port %[2]s on %[3]s (%[4]s) held by %[5]s: the policy allows it with another exposure (%[6]s)", Ja: "%[3]s (%[4]s) の %[1]s ポート %[2]s、保持プロセス %[5]s: ポリシーが認める公開範囲は別です (%[6]s)"},
		MsgViolationOwner:          {En: "%[1]s port %[2]s on %[3]s (%[4]s) held by %[5]s: the policy allows it for another owner (%[6]s)", Ja: "%[3]s (%[4]s) の %[1]s ポート %[2]s、保持プロセス %[5]s: ポリシーが認める所有者は別です (%[6]s)"},
		MsgViolationEphemeral:      {En: "%[1]s (ephemeral range)", Ja: "%[1]s (エフェメラル範囲)"},
		MsgViolationUnknownProcess: {En: "an unknown process", Ja: "不明なプロセス"},
		MsgViolationOwnerUnknown: {En: "%[1]s port %[2]s on %[3]s (%[4]s): the policy allows it only for %[5]s (%[6]s), and its owner could not be seen: %[7]s",
			Ja: "%[3]s (%[4]s) の %[1]s ポート %[2]s: ポリシーは %[5]s にのみ許可していますが (%[6]s)、所有プロセスを確認できません: %[7]s"},
		MsgViolationExposureUnknown: {En: "%[1]s port %[2]s on %[3]s (%[4]s) held by %[5]s: the policy allows it only as loopback (%[6]s), and whether other machines reach it could not be told: %[7]s",
			Ja: "%[5]s が保持する %[3]s (%[4]s) の %[1]s ポート %[2]s: ポリシーはループバックとしてのみ許可していますが (%[6]s)、他のマシンから届くかを確認できません: %[7]s"},
		MsgBaselineThisHost:    {En: "this host", Ja: "このホスト"},
		MsgBaselineWhat:        {En: "openports policy: what may listen on %[1]s.", Ja: "openports のポリシー: %[1]s で待ち受けてよいもの。"},
		MsgBaselineWritten:     {En: "Written by 'openports baseline' at %[1]s; edit it at will.", Ja: "'openports baseline' が %[1]s に書きました。自由に編集してください。"},
		MsgBaselinePorts:       {En: "port: a number or FIRST-LAST; exposure: loopback, address, all, link-local, device;", Ja: "port: 番号または FIRST-LAST; exposure: loopback, address, all, link-local, device;"},
		MsgBaselineProcesses:   {En: "process, user: a name or a list; optional: true rules are never reported missing.", Ja: "process, user: 名前またはその一覧; optional: true の規則は無くても報告されません。"},
		MsgUsageUnknownValue:   {En: "unknown %[1]s %[2]q (want %[3]s or %[4]s)", Ja: "%[1]s に %[2]q は指定できません (%[3]s, %[4]s のいずれか)"},
		MsgUsageUnknownFormat:  {En: "%[1]s: unknown output format %[2]q (want one of: %[3]s)", Ja: "%[1]s: 出力形式 %[2]q はありません (%[3]s のいずれか)"},
		MsgUsageUnknownCommand: {En: "unknown command %[1]q for %[2]q", Ja: "%[2]q にコマンド %[1]q はありません"},
		MsgUsageDidYouMean:     {En: "Did you mean this?", Ja: "もしかして:"},
		MsgUsageRunHelp:        {En: "Run '%[1]s --help' for usage.", Ja: "使い方は '%[1]s --help' を見てください。"},
		MsgInterrupted:         {En: "interrupted by a signal (Ctrl-C or SIGTERM) before the end: the view is incomplete (%[1]s)", Ja: "シグナル (Ctrl-C または SIGTERM) で中断されました: 見えたものは不完全です (%[1]s)"},
		MsgUsageDNSTimeout:     {En: "--dns-timeout %[1]s is out of range (0 < t ≤ 1m)", Ja: "--dns-timeout %[1]s は範囲外です (0 < t ≤ 1m)"},
		MsgUsagePolicyNoPorts:  {En: "--policy needs the port listing: drop --no-ports", Ja: "--policy にはポート一覧が要ります: --no-ports を外してください"},
		MsgUsageNegative:       {En: "--interval and --duration must not be negative", Ja: "--interval と --duration に負の値は指定できません"},
		MsgUsageSnapshotJSON:   {En: "snapshot: -o %[1]q: a snapshot is always JSON; to write it to a file use --write FILE", Ja: "snapshot: -o %[1]q: スナップショットは常に JSON です。ファイルに書くには --write FILE を使ってください"},
		MsgUsageExplainTry:     {En: "explain %[1]q: no service, port or process matches (try a port number, a service such as ssh, or a process name such as sshd)", Ja: "explain %[1]q: 当てはまるサービス、ポート、プロセスはありません (ポート番号、ssh のようなサービス名、sshd のようなプロセス名で試してください)"},
		MsgUsageRootNotDir:     {En: "--root %[1]s: not a directory", Ja: "--root %[1]s: ディレクトリではありません"},
		MsgUsageInputFormat:    {En: "--format: unknown format %[1]q (want one of: %[2]s)", Ja: "--format: 入力形式 %[1]q はありません (%[2]s のいずれか)"},
		MsgUsageFirewallFile:   {En: "--firewall %[1]s: expected the output of pfctl -sr, iptables-save or ip6tables-save", Ja: "--firewall %[1]s: pfctl -sr、iptables-save、ip6tables-save のいずれかの出力ではありません"},
		MsgAnalyzeUnbound:      {En: "%[1]d unbound sockets (*.* or port 0) left out", EnOne: "%[1]d unbound socket (*.* or port 0) left out", Ja: "バインドされていないソケット %[1]d 個 (*.* またはポート 0) を除外"},

		// Firewall reasons (firewall.Reason codes); arguments are parts of a
		// rule or of the packet as the ruleset describes them.
		MsgFwReasonSourceAddress: {En: "the source address", Ja: "送信元アドレス"},
		MsgFwReasonSourcePort:    {En: "the source port", Ja: "送信元ポート"},
		MsgFwReasonSourceRoute:   {En: "the route back to the source (fib saddr)", Ja: "送信元への経路 (fib saddr)"},
		MsgFwReasonInterface:     {En: "the input interface", Ja: "受信インターフェース"},
		MsgFwReasonLocalAddress:  {En: "the local address", Ja: "宛先のローカルアドレス"},
		MsgFwReasonUnknownValue:  {En: "a match on a value the packet does not fix: %[1]s", Ja: "パケットから決まらない値との照合: %[1]s"},
		MsgFwReasonCondition:     {En: "a condition that depends on more than the packet: %[1]s", Ja: "パケット以外にも依存する条件: %[1]s"},
		MsgFwReasonUnmodelled:    {En: "not modelled by openports: %[1]s", Ja: "openports が扱わない処理: %[1]s"},
		MsgFwReasonDNATTarget:    {En: "DNAT target not known: %[1]s", Ja: "DNAT の転送先が不明: %[1]s"},
		MsgFwReasonDNATUnrouted:  {En: "no interface of this host routes to the DNAT target %[1]s", Ja: "DNAT の転送先 %[1]s へ経路のあるインターフェースがこのホストにありません"},
		MsgFwReasonChainNotRead:  {En: "jump to a chain that was not read: %[1]s", Ja: "読み取れなかったチェーンへのジャンプ: %[1]s"},
		MsgFwReasonSetNotRead:    {En: "lookup in a set that was not read: %[1]s", Ja: "読み取れなかったセットの参照: %[1]s"},
		MsgFwReasonSetDynamic:    {En: "set @%[1]s, whose elements change with traffic", Ja: "通信によって要素が変わるセット @%[1]s"},
		MsgFwReasonJumpsTooDeep:  {En: "jumps nested deeper than the kernel allows", Ja: "カーネルの上限を超えるジャンプの入れ子"},
		MsgFwReasonTooManyPaths:  {En: "more than %[1]s evaluation paths", Ja: "評価の経路が %[1]s を超えました"},
		MsgFwReasonTooManySteps:  {En: "more than %[1]s rule evaluations (a jump loop?)", Ja: "ルールの評価が %[1]s 回を超えました (ジャンプのループ?)"},
		MsgFwReasonBackendUnread: {En: "%[1]s could not be read: %[2]s", Ja: "%[1]s を読み取れませんでした: %[2]s"},
		MsgFwReasonNoInterface:   {En: "no interface other than loopback carries this address", Ja: "ループバック以外にこのアドレスを持つインターフェースがありません"},
		MsgFwWhereDNAT:           {En: "(dnat)", Ja: "(DNAT)"},
		MsgFwWhereSomeSources:    {En: "(some sources)", Ja: "(一部の送信元から)"},
		MsgFwProbePartly:         {En: "partly", Ja: "一部"},
	}
}

// texts renders catalogue and knowledge-base messages in one language.
type texts struct {
	lang string
	kb   *knowledge.Base
	// tool is the report's owner method, named by the reasons of parsed
	// sockets ("no process in the fstat output holds ...").
	tool string
}

// forReport returns t for the notes of r.
func (t texts) forReport(r *report.Report) texts {
	t.tool = string(r.OwnerMethod)
	if t.tool == "" {
		t.tool = "?"
	}
	return t
}

func newTexts(lang string, kb *knowledge.Base) texts {
	return texts{lang: knowledge.NormalizeLang(lang), kb: kb}
}

// Text formats the message id with args in lang, for the commands' own
// lines (warnings on standard error). Arguments that carry outside text
// must be escaped by the caller (Escape).
func Text(lang string, id MsgID, args ...any) string { return newTexts(lang, nil).get(id, args...) }

// get formats the catalogue's text of id with args.
func (t texts) get(id MsgID, args ...any) string {
	m, ok := catalogue()[id]
	if !ok {
		return string(id)
	}
	format := m.En
	if t.lang == knowledge.LangJA {
		format = m.Ja
	} else if m.EnOne != "" && len(args) > 0 && isOne(args[0]) {
		format = m.EnOne
	}
	if len(args) == 0 || !strings.Contains(format, "%") {
		return format
	}
	return fmt.Sprintf(format, args...)
}

func isOne(v any) bool {
	switch n := v.(type) {
	case int:
		return n == 1
	case string:
		return n == "1"
	}
	return false
}

// kbText is the knowledge base's text of key ("entry.ssh.risk",
// "message.rule.x.text") in this language, "" when there is none.
func (t texts) kbText(key string) string {
	if t.kb == nil {
		return ""
	}
	s, _ := t.kb.Lookup(key, t.lang)
	return s
}

// noteIDs map the keys of report notes (set by analysis and policy) to
// catalogue IDs.
var noteIDs = map[string]MsgID{
	"owner.unknown": MsgOwnerUnknown, "owner.partial": MsgOwnerPartial, "owner.none": MsgOwnerNone,
	"owner.via-address": MsgOwnerViaAddress, "exposure.route-localnet": MsgRouteLocalnet, "exposure.transparent": MsgTransparent, "truncated": MsgTruncated, "port.printed": MsgPortPrinted, "address.printed": MsgAddressPrinted,
	"published.dnat": MsgPublishedDNAT, "published.dnat-conditions": MsgPublishedDNATCond, "published.wider": MsgPublishedWider,
	"published.forwarded": MsgPublishedForwarded, "published.target": MsgPublishedTarget, "netns.container-only": MsgNetNSContainerOnly,
	"provenance.enabled": MsgProvenanceEnabled, "provenance.default": MsgProvenanceDefault,
	"provenance.not-enabled": MsgProvenanceNotEnabled, "provenance.unknown": MsgProvenanceUnknown,
	"policy.new": MsgPolicyNew, "policy.exposure": MsgPolicyExposure, "policy.owner": MsgPolicyOwner, "policy.missing": MsgPolicyMissing,
	"policy.owner-unknown": MsgPolicyOwnerUnknown,
}

// ownerReasonIDs map snapshot.Socket.OwnerReasonCode to catalogue IDs.
var ownerReasonIDs = map[string]MsgID{
	"no-capability": MsgReasonNoCapability, "hidepid": MsgReasonHidepid,
	"user-namespace": MsgReasonUserNamespace, "refused": MsgReasonRefused, "pid-namespace": MsgReasonPIDNamespace, "unheld": MsgReasonUnheld,
	"no-process-column": MsgReasonNoProcessColumn, "tool-could-not-see": MsgReasonToolCouldNotSee, "unreadable-process-column": MsgReasonUnreadableColumn, "one-pid-shown": MsgReasonOnePIDShown,
	"pid-zero": MsgReasonPIDZero, "no-header": MsgReasonNoHeader, "ambiguous-columns": MsgReasonAmbiguousColumns,
	"permission-denied": MsgReasonPermissionDenied, "no-owner-in-output": MsgReasonNoOwnerInOutput, "remote-scan": MsgReasonRemoteScan,
}

// gapText is the text of a gap and the names of its arguments in
// snapshot.Gap.Args, in order; "count" is Gap.Count.
type gapText struct {
	id   MsgID
	args []string
}

// gapTexts map snapshot.Gap area and reason ("owners/permission") to
// their texts, the first whose arguments the gap has. A gap whose
// arguments are missing (a snapshot saved by an older version) is shown
// by its English detail.
var gapTexts = map[string][]gapText{
	"owners/no-capability":                 {{MsgGapNoCapability, []string{"count"}}},
	"owners/hidepid":                       {{MsgGapHidepid, []string{"count"}}},
	"owners/user-namespace":                {{MsgGapUserNamespace, []string{"count"}}},
	"owners/refused":                       {{MsgGapRefused, []string{"count"}}},
	"owners/permission":                    {{MsgGapPermission, []string{"count", "processes", "uids"}}},
	"sockets/netlink-refused":              {{MsgGapNetlinkRefuse, []string{"error"}}},
	"processes/privilege-unknown":          {{MsgGapPrivilegeUnknown, []string{"error"}}},
	"sockets/unreadable":                   {{MsgGapSocketsUnreadable, []string{"netns", "error"}}},
	"interfaces/unreadable":                {{MsgGapIfacesUnreadable, []string{"netns", "error"}}},
	"namespaces/unreadable":                {{MsgGapNetNSUnreadable, []string{"netns"}}, {MsgGapNetNSListFailed, []string{"error"}}},
	"owners/read-error":                    {{MsgGapReadError, []string{"processes", "pid", "error"}}},
	"processes/vanished":                   {{MsgGapProcessesVanished, []string{"processes"}}},
	"owners/vanished":                      {{MsgGapOwnersVanished, []string{"processes"}}},
	"owners/changed":                       {{MsgGapOwnersChanged, []string{"holdings"}}},
	"owners/details":                       {{MsgGapDetails, []string{"details", "first"}}},
	"owners/truncated":                     {{MsgGapTruncated, []string{"files", "limit"}}},
	"namespaces/permission":                {{MsgGapNetNSPermission, []string{"processes"}}},
	"sockets/sock-diag-unavailable":        {{MsgGapSockDiagRawProcfs, []string{"request", "error", "read_from"}}, {MsgGapSockDiagUnavail, []string{"request", "error"}}},
	"sockets/raw-unreadable":               {{MsgGapRawUnreadable, []string{"netns", "error"}}},
	"owners/tool-failed":                   {{MsgGapToolFailed, []string{"command", "error"}}},
	"sockets/unparsed-lines":               {{MsgGapUnparsedLines, []string{"lines", "command", "first"}}},
	"owners/not-root":                      {{MsgGapNotRoot, []string{"command", "uid"}}},
	"owners/lsof-failed":                   {{MsgGapLsofFailed, []string{"command", "error"}}},
	"owners/no-process-column":             {{MsgGapNoProcessColumn, []string{"count", "tool"}}},
	"owners/tool-could-not-see":            {{MsgGapToolCouldNotSee, []string{"count", "tool"}}},
	"processes/permission-denied":          {{MsgGapPermissionDenied, []string{"count", "tool"}}},
	"sockets/other-namespace":              {{MsgGapOtherNamespace, []string{"count", "tool"}}},
	"owners/no-owner-in-output":            {{MsgGapNoOwnerInOutput, []string{"sockets", "part", "tools"}}},
	"sockets/mixed-os":                     {{MsgGapMixedOS, nil}},
	"interfaces/interfaces-unreadable":     {{MsgGapCheckIfaces, []string{"error"}}},
	"routes/routes-unreadable":             {{MsgGapCheckRoutes, []string{"error"}}},
	"sockets/collect-failed":               {{MsgGapCheckCollect, []string{"error"}}},
	"resolv.conf/unreadable":               {{MsgGapCheckResolvConf, []string{"error"}}},
	"sockets/listeners-unreadable":         {{MsgGapCheckListeners, []string{"error"}}},
	"sockets/no-address":                   {{MsgGapNoAddress, []string{"count", "tool"}}},
	"dns/no-configuration":                 {{MsgGapDNSNoConfig, nil}},
	"dns/no-name":                          {{MsgGapDNSNoName, nil}},
	"input/lines-not-understood":           {{MsgGapLinesNotUnderstood, []string{"count"}}},
	"owners/one-process-per-socket":        {{MsgGapOnePIDPerSocket, []string{"count", "tool"}}},
	"listeners/output-without-listeners":   {{MsgGapNoListeners, []string{"tool", "command"}}},
	"sockets/tool-error":                   {{MsgGapToolError, []string{"tool", "error"}}},
	"sockets/sock-diag-failed":             {{MsgGapSockDiagFailed, []string{"netns", "error"}}},
	"namespaces/netns-unreadable":          {{MsgGapNetNSEnter, []string{"netns", "error"}}, {MsgGapNetNSDenied, []string{"count"}}},
	"namespaces/netns-unlisted":            {{MsgGapNetNSUnlisted, []string{"nsids"}}},
	"namespaces/netns-nsid-unreadable":     {{MsgGapNSIDUnreadable, []string{"error"}}},
	"sockets/transparent-unread":           {{MsgGapTransparentUnread, []string{"count", "netns", "rules"}}},
	"namespaces/hidepid":                   {{MsgGapNetNSHidden, nil}},
	"namespaces/no-capability":             {{MsgGapNetNSHidden, nil}},
	"namespaces/user-namespace":            {{MsgGapNetNSHidden, nil}},
	"namespaces/refused":                   {{MsgGapNetNSHidden, nil}},
	"namespaces/pid-namespace":             {{MsgGapNetNSHidden, nil}},
	"published/nat-unreadable":             {{MsgGapNATUnreadable, []string{"error"}}},
	"published/targets-unplaced":           {{MsgGapTargetsUnplaced, []string{"count", "error"}}},
	"owners/pid-namespace":                 {{MsgGapPIDNamespace, []string{"count"}}},
	"owners/unheld":                        {{MsgGapUnheld, []string{"count"}}},
	"interfaces/route-localnet-unreadable": {{MsgGapRouteLocalnet, []string{"netns", "error"}}},
}

// provenanceReasonIDs map report.Provenance.Reason to catalogue IDs.
var provenanceReasonIDs = map[string]MsgID{
	"disabled": MsgProvReasonDisabled, "unset": MsgProvReasonUnset, "no-script": MsgProvReasonNoScript,
	"inetd-commented": MsgProvReasonInetdCommented, "session": MsgProvReasonSession, "cron": MsgProvReasonCron,
	"container": MsgProvReasonContainer, "transient": MsgProvReasonTransient, "wanted-by": MsgProvReasonWantedBy,
	"not-enabled": MsgProvReasonNotEnabled, "socket-activation": MsgProvReasonSocketActivation,
	"no-unit": MsgProvReasonNoUnit, "no-cgroup": MsgProvReasonNoCgroup, "unreadable": MsgProvReasonUnreadable,
	"no-config": MsgProvReasonNoConfig, "shell-code": MsgProvReasonShellCode, "conditional": MsgProvReasonConditional,
	"defaults-disabled": MsgProvReasonDefaultsDisabled,
}

// note renders a report note; its arguments are outside text and come
// out escaped.
func (t texts) note(n report.Note) string {
	args := make([]string, len(n.Args))
	for i, a := range n.Args {
		args[i] = Escape(a)
	}
	switch n.Key {
	case "owner.unknown", "owner.partial":
		return t.get(noteIDs[n.Key], t.ownerReason(n.Args, args))
	case "policy.owner-unknown":
		// Args: the row, the rule, the owner it allows, then those of
		// the row's owner.unknown note.
		if len(args) < 3 {
			break
		}
		return t.get(MsgPolicyOwnerUnknown, args[0], args[1], args[2], t.ownerReason(n.Args[3:], args[3:]))
	case "owner.via-address":
		tool := ""
		if len(args) > 0 {
			tool = args[0]
		}
		if tool == "" {
			tool = t.get(MsgOwnerViaUnnamed)
		}
		return t.get(MsgOwnerViaAddress, tool)
	}
	if strings.HasPrefix(n.Key, "provenance.") {
		return t.provenanceNote(n, args)
	}
	if strings.HasPrefix(n.Key, "message.") {
		if format := t.kbText(n.Key); format != "" {
			return fmt.Sprintf(format, typedArgs(format, args)...)
		}
	}
	if id, ok := noteIDs[n.Key]; ok {
		return t.get(id, anyArgs(args)...)
	}
	return Escape(n.Key) + " " + strings.Join(args, " ")
}

// ownerReason words why an owner could not be seen from the arguments of
// an owner.unknown note (English reason, reason code, uid, user), raw and
// escaped: in t's language when the code is known, "?" when nothing says.
func (t texts) ownerReason(raw, args []string) string {
	reason := ""
	if len(args) > 0 {
		reason = args[0]
	}
	if len(args) == 4 {
		if id, ok := ownerReasonIDs[raw[1]]; ok {
			user := ""
			if args[3] != "" {
				user = " (" + args[3] + ")"
			}
			reason = t.get(id, args[2], user, Escape(t.tool))
		}
	}
	if reason == "" {
		reason = "?"
	}
	return reason
}

func anyArgs(args []string) []any {
	out := make([]any, len(args))
	for i, a := range args {
		out[i] = a
	}
	return out
}

// provenanceNote renders a "provenance.<verdict>" note: arguments are the
// evidence, the reason code and the service.
func (t texts) provenanceNote(n report.Note, args []string) string {
	ev, reason := "-", ""
	if len(args) > 0 && args[0] != "" {
		ev = args[0]
	}
	if len(args) > 1 {
		reason = args[1]
		if id, ok := provenanceReasonIDs[n.Args[1]]; ok {
			reason = t.get(id)
		}
	}
	id, ok := noteIDs[n.Key]
	if !ok {
		return Escape(n.Key) + " " + ev
	}
	return t.get(id, ev, reason)
}

// typedArgs converts the arguments that format prints with an explicit
// %[n]d verb to integers (report notes carry strings).
func typedArgs(format string, args []string) []any {
	out := make([]any, len(args))
	for i, a := range args {
		out[i] = a
		if strings.Contains(format, fmt.Sprintf("%%[%d]d", i+1)) {
			if v, err := strconv.Atoi(a); err == nil {
				out[i] = v
			}
		}
	}
	return out
}

// gap renders a gap from its area, reason and arguments; a gap the
// catalogue does not know, or whose arguments are missing, is shown by
// its English detail, with its area and reason in other languages.
func (t texts) gap(g snapshot.Gap) string {
	for _, gt := range gapTexts[g.Area+"/"+g.Reason] {
		if s, ok := t.named(gt, g.Args, g.Count); ok {
			return s
		}
	}
	if t.lang == knowledge.LangEN && g.Detail != "" {
		return Escape(g.Detail)
	}
	// In another language, say that the rest is English: a reason this
	// version has no text for, or one an older version saved without its
	// arguments.
	if _, known := gapTexts[g.Area+"/"+g.Reason]; known {
		return t.get(MsgGapOldArgs, Escape(g.Detail), Escape(g.Area), Escape(g.Reason))
	}
	return t.get(MsgGapOther, Escape(g.Detail), Escape(g.Area), Escape(g.Reason))
}

// named formats gt's text with the named values it takes, in its order
// ("count" is count), shortened for a line; false when a value is missing.
func (t texts) named(gt gapText, values map[string]string, count int) (string, bool) {
	args := make([]string, 0, len(gt.args))
	for _, name := range gt.args {
		if name == "count" {
			args = append(args, strconv.Itoa(count))
			continue
		}
		v, ok := values[name]
		if !ok {
			return "", false
		}
		args = append(args, short(v))
	}
	return t.getArgs(gt.id, args), true
}

// getArgs formats id with string arguments, as integers where the chosen
// text prints them with %[n]d.
func (t texts) getArgs(id MsgID, args []string) string {
	m := catalogue()[id]
	format := m.En
	if t.lang == knowledge.LangJA {
		format = m.Ja
	} else if m.EnOne != "" && len(args) > 0 && args[0] == "1" {
		format = m.EnOne
	}
	return t.get(id, typedArgs(format, args)...)
}

// severity is a severity's name for people.
func (t texts) severity(s snapshot.Severity) string {
	switch s {
	case snapshot.Info:
		return t.get(MsgSeverityInfo)
	case snapshot.Review:
		return t.get(MsgSeverityReview)
	case snapshot.Risky:
		return t.get(MsgSeverityRisky)
	case snapshot.Dangerous:
		return t.get(MsgSeverityDangerous)
	}
	return ""
}

// cellWidth is the number of terminal columns s takes: East Asian wide and
// fullwidth characters take two.
func cellWidth(s string) int {
	n := 0
	for _, r := range s {
		n += runeWidth(r)
	}
	return n
}

func runeWidth(r rune) int {
	if r < utf8.RuneSelf {
		return 1 // ASCII is narrow; the table lookup is the slow part
	}
	switch width.LookupRune(r).Kind() {
	case width.EastAsianWide, width.EastAsianFullwidth:
		return 2
	}
	return 1
}

// firewallReason words a firewall reason in the reader's language; a code
// the catalogue does not know, or one saved without its arguments, is its
// English detail.
func (t texts) firewallReason(r firewall.Reason) string {
	if ft, ok := firewallReasonTexts[r.Code]; ok {
		if s, ok := t.named(ft, r.Args, 0); ok {
			return s
		}
	}
	return Escape(r.Detail)
}

// firewallReasons joins the words of several reasons.
func (t texts) firewallReasons(rs []firewall.Reason) string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = t.firewallReason(r)
	}
	return strings.Join(out, "; ")
}
