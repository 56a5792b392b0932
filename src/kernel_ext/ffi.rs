// SPDX-License-Identifier: GPL-2.0

//! Declarations of the C functions rvnet calls that `kernel::bindings` does not carry: the
//! helpers of `shim.c`, and exported kernel functions from headers bindgen does not see
//! (`linux/netdevice.h`, `linux/proc_fs.h`), with the few C layouts they share with Rust.
//!
//! A leaf: it uses nothing else of `kernel_ext`. The structures behind the opaque types are
//! never built or read by Rust, so their layout can change without this file changing; the
//! shared layouts at the end are UAPI or `shim.h`'s, and `shim.c` asserts them.

use core::marker::{
    PhantomData,
    PhantomPinned, //
};

use kernel::{
    bindings,
    ffi::{
        c_char,
        c_int,
        c_uint,
        c_void, //
    },
};

/// Declares opaque C structure types: never built or moved by Rust, not `Send`/`Sync`/`Unpin`.
macro_rules! opaque_types {
    ($($(#[$meta:meta])* $name:ident;)*) => {$(
        $(#[$meta])*
        #[repr(C)]
        #[allow(non_camel_case_types)]
        pub(crate) struct $name {
            _data: [u8; 0],
            _marker: PhantomData<(*mut u8, PhantomPinned)>,
        }
    )*};
}

opaque_types! {
    /// `struct net_device`.
    net_device;
    /// `struct sk_buff`.
    sk_buff;
    /// `struct napi_struct`.
    napi_struct;
    /// `struct bpf_prog`.
    bpf_prog;
    /// `struct xdp_frame`.
    xdp_frame;
    /// `struct xdp_buff`.
    xdp_buff;
    /// `struct xsk_buff_pool`.
    xsk_buff_pool;
    /// `struct netlink_ext_ack`.
    netlink_ext_ack;
    /// `struct page` (`kernel::bindings::page`, whose bindgen layout is not FFI-safe).
    page;
    /// `struct page_pool`.
    page_pool;
    /// `struct platform_device` (`kernel::bindings::platform_device`, whose bindgen layout is
    /// not FFI-safe).
    platform_device;
}

/// The prefix of `struct rtnl_link_stats64` (UAPI, `include/uapi/linux/if_link.h`) that rvnet
/// fills in `ndo_get_stats64`; `shim.c` asserts the offsets.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct rtnl_link_stats64_head {
    /// Packets received.
    pub(crate) rx_packets: u64,
    /// Packets transmitted.
    pub(crate) tx_packets: u64,
    /// Bytes received.
    pub(crate) rx_bytes: u64,
    /// Bytes transmitted.
    pub(crate) tx_bytes: u64,
    /// Receive errors.
    pub(crate) rx_errors: u64,
    /// Transmit errors.
    pub(crate) tx_errors: u64,
    /// Received packets dropped.
    pub(crate) rx_dropped: u64,
    /// Transmitted packets dropped.
    pub(crate) tx_dropped: u64,
}

/// `struct rvnet_queue_stats` of `shim.h`: the counters of one queue pair that the
/// `netdev_stat_ops` of `shim.c` report (fields of `struct netdev_queue_stats_rx`/`_tx`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct rvnet_queue_stats {
    /// Packets received.
    pub(crate) rx_packets: u64,
    /// Bytes received.
    pub(crate) rx_bytes: u64,
    /// Packets transmitted.
    pub(crate) tx_packets: u64,
    /// Bytes transmitted.
    pub(crate) tx_bytes: u64,
    /// Times the transmit queue was stopped.
    pub(crate) tx_stop: u64,
    /// Times it was woken.
    pub(crate) tx_wake: u64,
    /// Packets handed to the device to segment.
    pub(crate) tx_hw_gso_packets: u64,
    /// Received packets the device merged.
    pub(crate) rx_hw_gro_packets: u64,
    /// Receive buffers that could not be allocated.
    pub(crate) rx_alloc_fail: u64,
}

// `shim.c` asserts the same size for its definition.
const _: () = assert!(size_of::<rvnet_queue_stats>() == 9 * 8);

/// `RVNET_RX_LIST_MAX` of `shim.h`: the most addresses of each kind in [`rvnet_rx_lists`].
pub(crate) const RVNET_RX_LIST_MAX: usize = 64;

/// `struct rvnet_rx_lists` of `shim.h`: an interface's receive flags and address lists, as
/// `rvnet_netdev_rx_lists()` copies them.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub(crate) struct rvnet_rx_lists {
    /// `IFF_PROMISC` (0 or 1).
    pub(crate) promisc: u8,
    /// `IFF_ALLMULTI` (0 or 1).
    pub(crate) allmulti: u8,
    /// Padding.
    pub(crate) pad: [u8; 2],
    /// Unicast addresses in the list, copied or not.
    pub(crate) n_uc: u32,
    /// Multicast addresses in the list, copied or not.
    pub(crate) n_mc: u32,
    /// The first unicast addresses.
    pub(crate) uc: [[u8; 6]; RVNET_RX_LIST_MAX],
    /// The first multicast addresses.
    pub(crate) mc: [[u8; 6]; RVNET_RX_LIST_MAX],
}

// `shim.c` asserts the same size for its definition.
const _: () = assert!(size_of::<rvnet_rx_lists>() == 12 + 2 * RVNET_RX_LIST_MAX * 6);

/// `XDP_XMIT_FLUSH`: `ndo_xdp_xmit` is to notify the device of the frames it queued.
pub(crate) const XDP_XMIT_FLUSH: u32 = 1;

/// `NETDEV_TX_OK`.
pub(crate) const NETDEV_TX_OK: c_int = 0;
/// `NETDEV_TX_BUSY`.
pub(crate) const NETDEV_TX_BUSY: c_int = 0x10;

extern "C" {
    // shim.c
    pub(crate) fn rvnet_alloc_netdev(
        parent: *mut c_void,
        ethtool_ops: *const bindings::ethtool_ops,
    ) -> *mut net_device;
    pub(crate) fn rvnet_netdev_set_drvdata(dev: *mut net_device, data: *mut c_void);
    pub(crate) fn rvnet_netdev_drvdata(dev: *mut net_device) -> *mut c_void;
    pub(crate) fn rvnet_netdev_copy_name(dev: *mut net_device, name: *mut c_char);
    pub(crate) fn rvnet_netdev_copy_name_rtnl(dev: *mut net_device, name: *mut c_char);
    pub(crate) fn rvnet_netdev_parent(dev: *mut net_device) -> *mut c_void;
    pub(crate) fn rvnet_netdev_addr(dev: *mut net_device) -> *const u8;
    pub(crate) fn rvnet_netdev_set_addr(dev: *mut net_device, addr: *const u8);
    pub(crate) fn rvnet_netdev_random_addr(dev: *mut net_device);
    pub(crate) fn rvnet_netdev_set_mtu(dev: *mut net_device, mtu: c_uint, max_mtu: c_uint);
    pub(crate) fn rvnet_netdev_set_features(
        dev: *mut net_device,
        hw_features: u64,
        features: u64,
        tso_max_size: c_uint,
    );
    pub(crate) fn rvnet_skb_wire_segs(skb: *const sk_buff, hdr_len: *mut c_uint) -> c_uint;
    pub(crate) fn rvnet_skb_vnet_hdr(
        skb: *const sk_buff,
        hdr: *mut u8,
        little_endian: bool,
    ) -> c_int;
    pub(crate) fn rvnet_skb_set_vnet_hdr(
        skb: *mut sk_buff,
        hdr: *const u8,
        csum_valid: bool,
        little_endian: bool,
    ) -> c_int;
    pub(crate) fn rvnet_page_pool_create(dma_dev: *mut c_void, size: c_uint) -> *mut page_pool;
    pub(crate) fn rvnet_page_pool_destroy(pool: *mut page_pool);
    pub(crate) fn rvnet_page_pool_alloc(
        pool: *mut page_pool,
        size: c_uint,
        offset: *mut c_uint,
        dma: *mut u64,
    ) -> *mut page;
    pub(crate) fn rvnet_page_pool_put(pool: *mut page_pool, page: *mut page);
    pub(crate) fn rvnet_page_pool_sync_for_cpu(
        pool: *mut page_pool,
        page: *mut page,
        offset: c_uint,
        len: c_uint,
    );
    pub(crate) fn rvnet_skb_add_rx_frag(
        skb: *mut sk_buff,
        page: *mut page,
        offset: c_uint,
        len: c_uint,
        truesize: c_uint,
    );
    pub(crate) fn rvnet_napi_build_skb(
        page: *mut page,
        offset: c_uint,
        truesize: c_uint,
        headroom: c_uint,
        len: c_uint,
    ) -> *mut sk_buff;
    pub(crate) fn rvnet_skb_nr_frags(skb: *mut sk_buff) -> c_uint;
    pub(crate) fn rvnet_skb_map_head(dev: *mut c_void, skb: *mut sk_buff, len: *mut c_uint) -> u64;
    pub(crate) fn rvnet_skb_map_frag(
        dev: *mut c_void,
        skb: *mut sk_buff,
        i: c_uint,
        len: *mut c_uint,
    ) -> u64;
    pub(crate) fn rvnet_dma_unmap_head(dev: *mut c_void, addr: u64, len: c_uint);
    pub(crate) fn rvnet_dma_unmap_frag(dev: *mut c_void, addr: u64, len: c_uint);
    pub(crate) fn rvnet_skb_push_hdr(skb: *mut sk_buff, hdr: *const u8, len: c_uint) -> bool;
    pub(crate) fn rvnet_skb_pull_hdr(skb: *mut sk_buff, len: c_uint);
    pub(crate) fn rvnet_skb_headlen(skb: *mut sk_buff) -> c_uint;
    pub(crate) fn rvnet_skb_tx_timestamp(skb: *mut sk_buff);
    pub(crate) fn rvnet_netdev_hold(dev: *mut net_device);
    pub(crate) fn rvnet_netdev_put(dev: *mut net_device);
    pub(crate) fn rvnet_netdev_in_current_net(dev: *mut net_device) -> bool;
    pub(crate) fn rvnet_carrier_ok(dev: *mut net_device) -> bool;
    pub(crate) fn rvnet_netdev_mtu(dev: *mut net_device) -> c_uint;
    pub(crate) fn rvnet_netdev_write_mtu(dev: *mut net_device, mtu: c_uint);
    pub(crate) fn rvnet_set_err_msg(extack: *mut netlink_ext_ack, msg: *const c_char);
    pub(crate) fn rvnet_xdp_swap(dev: *mut net_device, prog: *mut bpf_prog) -> *mut bpf_prog;
    pub(crate) fn rvnet_xdp_attached_linear(dev: *mut net_device) -> bool;
    pub(crate) fn rvnet_xdp_has_frags(prog: *mut bpf_prog) -> bool;
    pub(crate) fn rvnet_page_address(page: *mut page) -> *mut c_void;
    pub(crate) fn rvnet_xdp_prog(dev: *mut net_device) -> *mut bpf_prog;
    pub(crate) fn rvnet_xdp_rxq_reg(dev: *mut net_device) -> c_int;
    pub(crate) fn rvnet_xdp_rxq_unreg(dev: *mut net_device);
    pub(crate) fn rvnet_xdp_run(
        prog: *mut bpf_prog,
        dev: *mut net_device,
        buf: *mut u8,
        frame_sz: u32,
        off: *mut u32,
        len: *mut u32,
        pages: *mut *mut page,
        offs: *mut u32,
        lens: *mut u32,
        nr_frags: *mut u32,
        redirected: *mut bool,
    ) -> u32;
    pub(crate) fn rvnet_xdp_do_flush();
    pub(crate) fn rvnet_xsk_bind(
        dev: *mut net_device,
        pool: *mut xsk_buff_pool,
        dma_dev: *mut c_void,
    ) -> c_int;
    pub(crate) fn rvnet_xsk_unbind(dev: *mut net_device, pool: *mut xsk_buff_pool);
    pub(crate) fn rvnet_xsk_rx_frame_size(pool: *mut xsk_buff_pool) -> u32;
    pub(crate) fn rvnet_xsk_alloc(pool: *mut xsk_buff_pool) -> *mut xdp_buff;
    pub(crate) fn rvnet_xsk_free(xdp: *mut xdp_buff);
    pub(crate) fn rvnet_xsk_dma(xdp: *mut xdp_buff, hdr_len: u32) -> u64;
    pub(crate) fn rvnet_xsk_received(
        xdp: *mut xdp_buff,
        len: u32,
        hdr_len: u32,
        hdr: *mut u8,
        n: u32,
    );
    pub(crate) fn rvnet_xsk_run(
        prog: *mut bpf_prog,
        dev: *mut net_device,
        xdp: *mut xdp_buff,
        redirected: *mut bool,
    ) -> u32;
    pub(crate) fn rvnet_xsk_to_frame(xdp: *mut xdp_buff) -> *mut xdp_frame;
    pub(crate) fn rvnet_xsk_to_skb(napi: *mut napi_struct, xdp: *mut xdp_buff) -> *mut sk_buff;
    pub(crate) fn rvnet_xsk_tx_peek(pool: *mut xsk_buff_pool, dma: *mut u64, len: *mut u32)
        -> bool;
    pub(crate) fn rvnet_xsk_tx_release(pool: *mut xsk_buff_pool);
    pub(crate) fn rvnet_xsk_tx_completed(pool: *mut xsk_buff_pool, n: u32);
    pub(crate) fn rvnet_xsk_need_wakeup(pool: *mut xsk_buff_pool, rx: bool, need: bool);
    pub(crate) fn rvnet_xsk_uses_need_wakeup(pool: *mut xsk_buff_pool) -> bool;
    pub(crate) fn rvnet_napi_schedule_bh(napi: *mut napi_struct);
    pub(crate) fn rvnet_xdp_frame_part(
        frame: *mut xdp_frame,
        i: u32,
        data: *mut *const u8,
        len: *mut u32,
    ) -> bool;
    pub(crate) fn rvnet_xdp_frame_len(frame: *mut xdp_frame) -> u32;
    pub(crate) fn rvnet_xdp_return_frame(frame: *mut xdp_frame);
    pub(crate) fn rvnet_bpf_prog_put(prog: *mut bpf_prog);
    pub(crate) fn rvnet_xdp_exception(prog: *mut bpf_prog, dev: *mut net_device, act: u32);
    pub(crate) fn rvnet_napi_set_irq(napi: *mut napi_struct, irq: c_int);
    pub(crate) fn rvnet_queues_set_napi(dev: *mut net_device, napi: *mut napi_struct);
    pub(crate) fn rvnet_netif_start_queue(dev: *mut net_device);
    pub(crate) fn rvnet_netif_stop_queue(dev: *mut net_device);
    pub(crate) fn rvnet_netif_wake_queue(dev: *mut net_device);
    pub(crate) fn rvnet_netif_queue_stopped(dev: *mut net_device) -> bool;
    pub(crate) fn rvnet_netif_xmit_stopped(dev: *mut net_device) -> bool;
    pub(crate) fn rvnet_tx_lock(dev: *mut net_device);
    pub(crate) fn rvnet_tx_trylock(dev: *mut net_device) -> bool;
    pub(crate) fn rvnet_tx_unlock(dev: *mut net_device);
    pub(crate) fn rvnet_tx_lock_bh(dev: *mut net_device);
    pub(crate) fn rvnet_tx_unlock_bh(dev: *mut net_device);
    pub(crate) fn rvnet_local_bh_disable();
    pub(crate) fn rvnet_local_bh_enable();
    pub(crate) fn rvnet_netif_running(dev: *mut net_device) -> bool;
    pub(crate) fn rvnet_netif_tx_disable(dev: *mut net_device);
    pub(crate) fn rvnet_netif_tx_wake_all(dev: *mut net_device);
    pub(crate) fn rvnet_dev_close(dev: *mut net_device);
    pub(crate) fn rvnet_bql_reset(dev: *mut net_device);
    pub(crate) fn rvnet_fault_bad_desc() -> bool;
    pub(crate) fn rvnet_fault_reset() -> c_int;
    pub(crate) fn rvnet_fault_rx_alloc() -> bool;
    pub(crate) fn rvnet_netdev_xmit_more() -> bool;
    pub(crate) fn rvnet_netdev_napi(dev: *mut net_device) -> *mut napi_struct;
    pub(crate) fn rvnet_napi_dev(napi: *mut napi_struct) -> *mut net_device;
    pub(crate) fn rvnet_napi_schedule(napi: *mut napi_struct);
    pub(crate) fn rvnet_napi_poll_later(napi: *mut napi_struct);
    pub(crate) fn rvnet_napi_poll_later_done(napi: *mut napi_struct);
    pub(crate) fn rvnet_napi_disable(napi: *mut napi_struct);
    pub(crate) fn rvnet_napi_receive(napi: *mut napi_struct, skb: *mut sk_buff);
    pub(crate) fn rvnet_skb_len(skb: *mut sk_buff) -> c_uint;
    pub(crate) fn rvnet_kfree_skb_any(skb: *mut sk_buff);
    pub(crate) fn rvnet_consume_skb_any(skb: *mut sk_buff);
    pub(crate) fn rvnet_bql_sent(dev: *mut net_device, bytes: c_uint, more: bool) -> bool;
    pub(crate) fn rvnet_bql_completed(dev: *mut net_device, packets: c_uint, bytes: c_uint);
    pub(crate) fn rvnet_tx_stalled_usecs(dev: *mut net_device, txqueue: c_uint) -> c_uint;
    pub(crate) fn rvnet_device_arg_count() -> c_uint;
    pub(crate) fn rvnet_device_arg(i: c_uint) -> *const c_char;
    pub(crate) fn rvnet_mmio_peek(base: u64, size: u64, regs: *mut u32) -> c_int;
    pub(crate) fn rvnet_platform_device_register(
        id: c_int,
        base: u64,
        size: u64,
        irq: c_uint,
        err: *mut c_int,
    ) -> *mut platform_device;
    pub(crate) fn rvnet_platform_device_bound(pdev: *mut platform_device) -> bool;
    pub(crate) fn rvnet_netdev_schedule_work(dev: *mut net_device);
    pub(crate) fn rvnet_netdev_disable_work(dev: *mut net_device);
    pub(crate) fn rvnet_netdev_rx_lists(dev: *mut net_device, lists: *mut rvnet_rx_lists);
    pub(crate) fn rvnet_netdev_features(dev: *mut net_device) -> u64;
    pub(crate) fn rvnet_netdev_set_filters(
        dev: *mut net_device,
        rx_filter: bool,
        vlan_filter: bool,
    );

    // Exported by net/core/dev.c, net/sched/sch_generic.c, net/core/skbuff.c and
    // fs/proc/generic.c.
    pub(crate) fn register_netdev(dev: *mut net_device) -> c_int;
    pub(crate) fn unregister_netdev(dev: *mut net_device);
    pub(crate) fn free_netdev(dev: *mut net_device);
    pub(crate) fn netif_carrier_on(dev: *mut net_device);
    pub(crate) fn netif_carrier_off(dev: *mut net_device);
    pub(crate) fn __netdev_notify_peers(dev: *mut net_device);
    pub(crate) fn napi_enable(napi: *mut napi_struct);
    pub(crate) fn napi_complete_done(napi: *mut napi_struct, work_done: c_int) -> bool;
    pub(crate) fn napi_alloc_skb(napi: *mut napi_struct, length: c_uint) -> *mut sk_buff;
    pub(crate) fn napi_consume_skb(skb: *mut sk_buff, budget: c_int);
    pub(crate) fn page_pool_enable_direct_recycling(pool: *mut page_pool, napi: *mut napi_struct);
    pub(crate) fn skb_put(skb: *mut sk_buff, len: c_uint) -> *mut c_void;
    pub(crate) fn skb_copy_bits(
        skb: *const sk_buff,
        offset: c_int,
        to: *mut c_void,
        len: c_int,
    ) -> c_int;
    pub(crate) fn proc_create_single_data(
        name: *const c_char,
        mode: bindings::umode_t,
        parent: *mut bindings::proc_dir_entry,
        show: Option<unsafe extern "C" fn(*mut bindings::seq_file, *mut c_void) -> c_int>,
        data: *mut c_void,
    ) -> *mut bindings::proc_dir_entry;
    pub(crate) fn proc_remove(entry: *mut bindings::proc_dir_entry);
    pub(crate) fn platform_device_unregister(pdev: *mut platform_device);
}
