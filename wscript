# -*- Mode: python; py-indent-offset: 4; indent-tabs-mode: nil -*-
#
# waf build of mip6sec for ns-3 source trees up to 3.35.  Copy or link
# this folder to contrib/mip6sec and run ./waf configure && ./waf build.
# CMakeLists.txt is the primary build (Debian's ns-3.37); the test
# wscript_matches_cmake keeps the lists below equal to CMake's.

# ns-3 modules the module depends on.
NS3_MODULES = ['core', 'network', 'internet', 'internet-apps', 'applications', 'csma',
               'point-to-point', 'mobility', 'virtual-net-device', 'wifi']


def configure(conf):
    conf.check_cfg(package='libcrypto', args=['--cflags', '--libs'], uselib_store='CRYPTO',
                   mandatory=True)
    conf.check_cfg(package='sqlite3', args=['--cflags', '--libs'], uselib_store='SQLITE3',
                   mandatory=True)
    conf.check_cfg(package='gsl', args=['--cflags', '--libs'], uselib_store='GSL',
                   mandatory=True)
    # The recorder's writer thread (model/rec_writer.c) uses POSIX threads.
    conf.env.append_value('CFLAGS_PTHREAD', ['-pthread'])
    conf.env.append_value('LINKFLAGS_PTHREAD', ['-pthread'])
    conf.env.append_value('CFLAGS', ['-std=c11'])


def build(bld):
    module = bld.create_ns3_module('mip6sec', NS3_MODULES)
    # The protocol model is C; waf compiles .c files with the C compiler
    # once the module has the 'c' feature.
    module.features += ' c'
    module.includes = ['model', 'shim']
    module.use += ['CRYPTO', 'SQLITE3', 'PTHREAD']
    module.source = [
        'model/addrmap.c',
        'model/cn.c',
        'model/cost.c',
        'model/cpu.c',
        'model/esp.c',
        'model/esp_replay.c',
        'model/ha.c',
        'model/icmp6.c',
        'model/ike.c',
        'model/ike_child.c',
        'model/ikev1_crypto.c',
        'model/ikev1_msg.c',
        'model/ikev1.c',
        'model/ikev1_quick.c',
        'model/ikev2_crypto.c',
        'model/ikev2_decode.c',
        'model/ikev2_msg.c',
        'model/ikev2_rekey.c',
        'model/ikev2_sig.c',
        'model/ikev2.c',
        'model/ikev2_build.c',
        'model/ikev2_child.c',
        'model/ipsec.c',
        'model/ipv6.c',
        'model/keys.c',
        'model/keys_dynamic.c',
        'model/mh.c',
        'model/mn.c',
        'model/mn_ro.c',
        'model/mn_nud.c',
        'model/mn_rs.c',
        'model/mpd.c',
        'model/nd.c',
        'model/nd_router.c',
        'model/pktinfo.c',
        'model/radvd.c',
        'model/rec.c',
        'model/rec_schema.c',
        'model/rec_writer.c',
        'model/rr.c',
        'model/signal.c',
        'model/spdconf.c',
        'model/spdconf_check.c',
        'model/spdconf_entries.c',
        'model/spdconf_load.c',
        'model/spdconf_names.c',
        'model/spdconf_preset.c',
        'model/spdconf_write.c',
        'model/timer.c',
        'model/tunnel.c',
        'shim/apps.cc',
        'shim/mobility.cc',
        'shim/node-state.cc',
        'shim/sim-ns3.cc',
        'shim/topology.cc',
        'shim/trace.cc',
        'shim/wifi.cc',
    ]

    headers = bld(features='ns3header')
    headers.module = 'mip6sec'
    headers.source = [
        'model/addrmap.h',
        'model/cn.h',
        'model/cost.h',
        'model/cursor.h',
        'model/esp.h',
        'model/esp_replay.h',
        'model/ha.h',
        'model/icmp6.h',
        'model/ike.h',
        'model/ikev1_crypto.h',
        'model/ikev1_msg.h',
        'model/ikev2_crypto.h',
        'model/ikev2_int.h',
        'model/ikev2_msg.h',
        'model/ikev2_msg_int.h',
        'model/ipsec.h',
        'model/ipv6.h',
        'model/mh.h',
        'model/mip6.h',
        'model/mip6sec.h',
        'model/mn.h',
        'model/mpd.h',
        'model/nd.h',
        'model/pktinfo.h',
        'model/radvd.h',
        'model/rec.h',
        'model/rec_schema.h',
        'model/rec_writer.h',
        'model/rr.h',
        'model/sim.h',
        'model/spdconf.h',
        'model/spdconf_preset.h',
        'model/timer.h',
        'model/tunnel.h',
        'shim/mip6sec-ns3.h',
        'shim/shim-internal.h',
    ]

    # Debian-style ns-3 builds define NS3_LOG_ENABLE; the shim must agree.
    module.defines = ['NS3_LOG_ENABLE']

    if bld.env.ENABLE_EXAMPLES:
        scenario = bld.create_ns3_program('mip6sec-handoff', ['mip6sec'])
        scenario.features += ' c'
        scenario.includes = ['scenarios', 'model', 'shim']
        scenario.source = ['scenarios/handoff.c', 'scenarios/handoff_options.c',
                           'scenarios/cmdline.c', 'scenarios/ns2_trace.c', 'scenarios/traffic.c']
        attack = bld.create_ns3_program('mip6sec-attack', ['mip6sec'])
        attack.features += ' c'
        attack.includes = ['scenarios', 'model', 'shim']
        attack.source = ['scenarios/attack.c', 'scenarios/attack_send.c',
                         'scenarios/attack_outcome.c', 'scenarios/cmdline.c']
        campus = bld.create_ns3_program('mip6sec-campus', ['mip6sec'])
        campus.features += ' c'
        campus.includes = ['scenarios', 'model', 'shim']
        campus.source = ['scenarios/campus.c', 'scenarios/cmdline.c']
        analysis = bld(features='c cprogram', target='mip6sec-analysis',
                       source=['analysis/analysis.c', 'analysis/analysis_options.c',
                               'analysis/campaign_report.c', 'analysis/campaign_rekeys.c',
                               'analysis/handoffs.c', 'analysis/campaign_stats.c',
                               'analysis/rekeys.c', 'analysis/overhead.c',
                               'analysis/views.c', 'model/rec_schema.c', 'scenarios/cmdline.c'],
                       includes=['analysis', 'model', 'scenarios'], use=['GSL', 'SQLITE3'])
        plot = bld(features='c cprogram', target='mip6sec-plot',
                   source=['analysis/plot.c', 'analysis/plot_options.c', 'analysis/plot_output.c',
                           'analysis/plot_timeline.c', 'analysis/plot_throughput.c',
                           'analysis/plot_rekey.c', 'analysis/plot_campaign.c',
                           'scenarios/cmdline.c'],
                   includes=['analysis', 'scenarios'], use=['SQLITE3'], lib=['m'])
        campaign = bld(features='c cprogram', target='mip6sec-campaign',
                       source=['analysis/campaign.c', 'analysis/campaign_file.c',
                               'analysis/campaign_options.c', 'analysis/campaign_run.c',
                               'analysis/campaign_merge.c',
                               'analysis/handoffs.c', 'analysis/campaign_stats.c',
                               'model/rec_schema.c', 'scenarios/cmdline.c'],
                       includes=['analysis', 'model', 'scenarios'], use=['GSL', 'SQLITE3'])
